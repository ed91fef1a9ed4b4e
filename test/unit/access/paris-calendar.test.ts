import { parisPeriodBound } from '../../../src/access/paris-calendar';

// A FHIR date used as an access bound names a day, a month or a year in Europe/Paris (src/access/README.md, "The
// Consent coding"): a start begins at Paris midnight of its first day, an end lasts to the millisecond before the
// Paris midnight that follows it. Expected instants are written from the French offsets (UTC+1 in winter, UTC+2 in
// summer; 2026 summer time runs from 29 March 02:00 to 25 October 03:00).

test('a day in winter and in summer', () => {
  expect(parisPeriodBound('2026-12-07', 'start')).toBe('2026-12-06T23:00:00.000Z');
  expect(parisPeriodBound('2026-12-07', 'end')).toBe('2026-12-07T22:59:59.999Z');
  expect(parisPeriodBound('2026-07-07', 'start')).toBe('2026-07-06T22:00:00.000Z');
  expect(parisPeriodBound('2026-07-07', 'end')).toBe('2026-07-07T21:59:59.999Z');
});

test('the days the clocks change: each bound takes the offset of its own midnight', () => {
  // 29 March 2026 begins in winter time and the 30th in summer time.
  expect(parisPeriodBound('2026-03-29', 'start')).toBe('2026-03-28T23:00:00.000Z');
  expect(parisPeriodBound('2026-03-29', 'end')).toBe('2026-03-29T21:59:59.999Z');
  // 25 October 2026 begins in summer time and the 26th in winter time.
  expect(parisPeriodBound('2026-10-25', 'start')).toBe('2026-10-24T22:00:00.000Z');
  expect(parisPeriodBound('2026-10-25', 'end')).toBe('2026-10-25T22:59:59.999Z');
});

test('a month and a year name their whole unit', () => {
  expect(parisPeriodBound('2027-06', 'start')).toBe('2027-05-31T22:00:00.000Z');
  expect(parisPeriodBound('2027-06', 'end')).toBe('2027-06-30T21:59:59.999Z');
  expect(parisPeriodBound('2027-12', 'end')).toBe('2027-12-31T22:59:59.999Z');
  expect(parisPeriodBound('2027', 'start')).toBe('2026-12-31T23:00:00.000Z');
  expect(parisPeriodBound('2027', 'end')).toBe('2027-12-31T22:59:59.999Z');
});

test('a dateTime carries its zone and is kept as written; no value stays none', () => {
  expect(parisPeriodBound('2026-12-07T10:00:00Z', 'end')).toBe('2026-12-07T10:00:00Z');
  expect(parisPeriodBound(undefined, 'start')).toBeUndefined();
});
