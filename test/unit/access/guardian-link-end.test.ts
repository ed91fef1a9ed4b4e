import type { Patient, RelatedPerson } from '@medplum/fhirtypes';
import { guardianLinkEndAt, guardianLinkValid } from '../../../src/access/guardian-rules';

// The instant a guardian link ends by time alone, which the token verifier compares with the clock (issue 11): it must
// be the first instant `guardianLinkValid` says no, for every kind of link, so that a token dies exactly when the rules
// stop giving its holder anything. Expected instants are written from the rules (Europe/Paris calendar days).

const rel = (code: string, period?: RelatedPerson['period'], extra: Partial<RelatedPerson> = {}): RelatedPerson => ({
  resourceType: 'RelatedPerson', patient: { reference: 'Patient/x' }, relationship: [{ coding: [{ code }] }], period, ...extra,
});
const at = (iso: string) => Date.parse(iso);

test('a parent link ends at the 18th birthday, Paris midnight (or its period end if sooner); a measure at its term', () => {
  // Born 2008-12-07: adult on 2026-12-07 00:00 CET = 2026-12-06T23:00Z.
  expect(guardianLinkEndAt(rel('MTH'), { birthDate: '2008-12-07' })).toBe(at('2026-12-06T23:00:00Z'));
  // "Until 30 June 2026" (summer time) lasts through that day: ends 2026-07-01 00:00 CEST = 2026-06-30T22:00Z.
  expect(guardianLinkEndAt(rel('FTH', { end: '2026-06-30' }), { birthDate: '2015-04-02' })).toBe(at('2026-06-30T22:00:00Z'));
  // A court measure "until 2030" lasts through the year, whatever the holder's age.
  expect(guardianLinkEndAt(rel('GUARD', { end: '2030' }), { birthDate: '1980-01-01' })).toBe(at('2030-12-31T23:00:00Z'));
  // A GUARD link without an end is no measure: a minor's guardian until the majority.
  expect(guardianLinkEndAt(rel('GUARD'), { birthDate: '2015-04-02' })).toBe(at('2033-04-01T22:00:00Z'));
});

test('a link that gives nothing whatever the instant has ended already', () => {
  expect(guardianLinkEndAt(rel('MTH'), undefined)).toBe(-Infinity); // no birth date: not a minor
  expect(guardianLinkEndAt(rel('MTH', undefined, { active: false }), { birthDate: '2015-04-02' })).toBe(-Infinity);
  expect(guardianLinkEndAt(rel('FRND'), { birthDate: '2015-04-02' })).toBe(-Infinity);
  expect(guardianLinkEndAt(rel('GUARD', { end: 'bientôt' }), { birthDate: '1980-01-01' })).toBe(-Infinity);
  expect(guardianLinkEndAt(undefined, { birthDate: '2015-04-02' })).toBe(-Infinity);
});

test('from its start, a link is valid exactly before its end', () => {
  const links: [RelatedPerson, Pick<Patient, 'birthDate'> | undefined][] = [
    [rel('MTH'), { birthDate: '2008-12-07' }],
    [rel('MTH', { end: '2026-06-30' }), { birthDate: '2015-04-02' }],
    [rel('PRN', { end: '2040-01-01' }), { birthDate: '2015-04-02' }],
    [rel('GUARD', { end: '2030' }), { birthDate: '1980-01-01' }],
    [rel('GUARD', { end: '2030-03' }), { birthDate: '2015-04-02' }],
    [rel('GUARD', { end: '2035-01-01T12:00:00+01:00' }), { birthDate: '2015-04-02' }],
    [rel('MTH'), { birthDate: '2010' }],
    [rel('MTH'), undefined],
  ];
  const instants = ['2026-06-30T21:59:59.999Z', '2026-06-30T22:00:00Z', '2026-12-06T22:59:59Z', '2026-12-06T23:00:00Z', '2027-12-31T22:59:59Z', '2027-12-31T23:00:00Z',
    '2030-03-31T21:59:59Z', '2030-03-31T22:00:00Z', '2030-12-31T22:59:59Z', '2030-12-31T23:00:00Z', '2033-04-01T21:59:59Z', '2033-04-01T22:00:00Z', '2035-01-01T10:59:59Z', '2035-01-01T11:00:00Z'];
  for (const [person, patient] of links) {
    const end = guardianLinkEndAt(person, patient);
    for (const instant of instants) {
      const t = new Date(instant);
      expect([person.period?.end, patient?.birthDate, instant, guardianLinkValid(person, patient, t)]).toEqual([person.period?.end, patient?.birthDate, instant, t.getTime() < end]);
    }
  }
});
