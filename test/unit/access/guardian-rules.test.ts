import type { RelatedPerson } from '@medplum/fhirtypes';
import { guardianLinkValid, isCourtMeasure, isMinorAt } from '../../../src/access/guardian-rules';

const rel = (code: string, period?: RelatedPerson['period']): RelatedPerson => ({
  resourceType: 'RelatedPerson', patient: { reference: 'Patient/x' }, relationship: [{ coding: [{ code }] }], period,
});

test('majority at 00:00 Europe/Paris on the 18th birthday (winter and summer time)', () => {
  // Born 2008-12-07: adult on 2026-12-07 at 00:00 CET = 2026-12-06T23:00:00Z.
  expect(isMinorAt('2008-12-07', new Date('2026-12-06T22:59:59Z'))).toBe(true);
  expect(isMinorAt('2008-12-07', new Date('2026-12-06T23:00:00Z'))).toBe(false);
  // Born 2015-04-02: adult on 2033-04-02 at 00:00 CEST = 2033-04-01T22:00:00Z.
  expect(isMinorAt('2015-04-02', new Date('2033-04-01T21:59:59Z'))).toBe(true);
  expect(isMinorAt('2015-04-02', new Date('2033-04-01T22:00:00Z'))).toBe(false);
});

test('partial, missing or malformed birth dates fail closed', () => {
  expect(isMinorAt('2010', new Date('2027-12-31T12:00:00Z'))).toBe(true);
  expect(isMinorAt('2010', new Date('2028-01-01T12:00:00Z'))).toBe(false);
  expect(isMinorAt('2010-06', new Date('2028-06-01T12:00:00Z'))).toBe(false);
  expect(isMinorAt(undefined, new Date())).toBe(false);
  expect(isMinorAt('not-a-date', new Date())).toBe(false);
});

test('a guardian link counts for a minor, or under a court measure until its end', () => {
  const at = new Date('2030-01-01T12:00:00Z');
  expect(guardianLinkValid(rel('MTH'), { birthDate: '2020-01-01' }, at)).toBe(true);
  expect(guardianLinkValid(rel('MTH'), { birthDate: '1980-01-01' }, at)).toBe(false);
  expect(guardianLinkValid(rel('GUARD'), { birthDate: '1980-01-01' }, at)).toBe(false); // no measure's end
  expect(isCourtMeasure(rel('GUARD', { end: '2030-01-01' }))).toBe(true);
  expect(isCourtMeasure(rel('MTH', { end: '2030-01-01' }))).toBe(false);
  expect(guardianLinkValid(rel('GUARD', { end: '2030-01-01' }), { birthDate: '1980-01-01' }, at)).toBe(true);
  expect(guardianLinkValid(rel('GUARD', { end: '2030-01-01' }), { birthDate: '1980-01-01' }, new Date('2030-01-02T00:00:00Z'))).toBe(false);
  expect(guardianLinkValid(rel('GUARD', { start: '2030-06-01', end: '2035-01-01' }), { birthDate: '1980-01-01' }, at)).toBe(false);
  expect(guardianLinkValid({ ...rel('MTH'), active: false }, { birthDate: '2020-01-01' }, at)).toBe(false);
  expect(guardianLinkValid(rel('FRND'), { birthDate: '2020-01-01' }, at)).toBe(false);
  expect(guardianLinkValid(rel('MTH'), undefined, at)).toBe(false);
});

test('a court measure ending on a year or a month lasts through it (it gave no right at all before)', () => {
  const adult = { birthDate: '1980-01-01' };
  // Through the last day in Europe/Paris: 2030 ends at midnight Paris time, 23:00 UTC in winter.
  expect(guardianLinkValid(rel('GUARD', { end: '2030' }), adult, new Date('2030-12-31T22:59:59Z'))).toBe(true);
  expect(guardianLinkValid(rel('GUARD', { end: '2030' }), adult, new Date('2030-12-31T23:00:00Z'))).toBe(false);
  expect(guardianLinkValid(rel('GUARD', { end: '2030-06' }), adult, new Date('2030-06-30T12:00:00Z'))).toBe(true);
  expect(guardianLinkValid(rel('GUARD', { end: '2030-06' }), adult, new Date('2030-06-30T22:00:00Z'))).toBe(false);
  // A dateTime end is an instant: it stops there.
  expect(guardianLinkValid(rel('GUARD', { end: '2030-06-15T10:00:00Z' }), adult, new Date('2030-06-15T09:59:59Z'))).toBe(true);
  expect(guardianLinkValid(rel('GUARD', { end: '2030-06-15T10:00:00Z' }), adult, new Date('2030-06-15T10:00:00Z'))).toBe(false);
});

test('a court measure\'s dates are days in France: "until 7 December" lasts until midnight Paris time, DST or not', () => {
  const adult = { birthDate: '1980-01-01' };
  // Winter (UTC+1): 23:30 Paris on the 7th is 22:30 UTC; 00:30 Paris on the 8th is 23:30 UTC, still the 7th in UTC.
  expect(guardianLinkValid(rel('GUARD', { end: '2026-12-07' }), adult, new Date('2026-12-07T22:30:00Z'))).toBe(true);
  expect(guardianLinkValid(rel('GUARD', { end: '2026-12-07' }), adult, new Date('2026-12-07T23:30:00Z'))).toBe(false);
  // Summer (UTC+2).
  expect(guardianLinkValid(rel('GUARD', { end: '2026-07-07' }), adult, new Date('2026-07-07T21:30:00Z'))).toBe(true);
  expect(guardianLinkValid(rel('GUARD', { end: '2026-07-07' }), adult, new Date('2026-07-07T22:30:00Z'))).toBe(false);
  // A start "from the 8th" begins at midnight Paris time, before midnight UTC.
  expect(guardianLinkValid(rel('GUARD', { start: '2026-12-08', end: '2030-01-01' }), adult, new Date('2026-12-07T22:30:00Z'))).toBe(false);
  expect(guardianLinkValid(rel('GUARD', { start: '2026-12-08', end: '2030-01-01' }), adult, new Date('2026-12-07T23:30:00Z'))).toBe(true);
});
