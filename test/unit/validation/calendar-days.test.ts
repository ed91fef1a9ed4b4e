import type { Resource } from '@medplum/fhirtypes';
import { createValidator } from '../../../src/validation';
import { assertValueSyntax, dateRange } from '../../../src/kernel/search/values';

// R4 datatypes: "Dates SHALL be valid dates". The schema's patterns accept day 01–31 of any month: 2023-02-29 (not a
// leap year), 2024-04-31 and 2024-02-30 were stored through the API and from a CDA effectiveTime. Expected answers are
// the Gregorian calendar's.
const validator = createValidator();
const issuesOf = (resource: unknown) => validator.validate(resource as Resource, { profiles: false });
const observation = (effectiveDateTime: string, issued = '2024-03-01T10:00:00Z') => ({
  resourceType: 'Observation', status: 'final', code: { text: 'poids' }, effectiveDateTime, issued,
});

describe('dates name days that exist', () => {
  it.each(['2024-02-29', '2000-02-29', '2023-02-28', '2024-04-30', '2024-12-31', '2024', '2024-02', '2024-02-29T23:59:59+01:00', '0024-02-29'])('accepts %s', (value) => {
    expect(issuesOf(observation(value))).toEqual([]);
    expect(issuesOf({ resourceType: 'Patient', birthDate: value.slice(0, 10).replace(/T.*/, '') })).toEqual([]);
  });

  it.each(['2023-02-29', '1900-02-29', '2024-02-30', '2024-04-31', '2024-06-31', '2024-09-31', '2024-11-31', '2024-02-30T10:00:00+01:00'])('refuses %s with a 422 issue naming the element', (value) => {
    expect(issuesOf(observation(value))).toEqual([
      expect.objectContaining({ code: 'value', expression: ['Observation.effectiveDateTime'], diagnostics: expect.stringContaining('no such day') }),
    ]);
  });

  it('checks birth dates (date) and instants as well', () => {
    expect(issuesOf({ resourceType: 'Patient', birthDate: '2023-02-29' })).toEqual([expect.objectContaining({ expression: ['Patient.birthDate'] })]);
    expect(issuesOf(observation('2024-02-29', '2024-04-31T10:00:00Z'))).toEqual([expect.objectContaining({ expression: ['Observation.issued'] })]);
  });
});

describe('date search values name days that exist', () => {
  it('reads 2024-02-29 as that day and refuses 2024-02-30 (it rolled over to 1 March and matched its rows)', () => {
    expect(dateRange('2024-02-29')).toEqual({ low: '2024-02-29T00:00:00.000Z', high: '2024-02-29T23:59:59.999Z' });
    for (const value of ['2024-02-30', '2023-02-29', '2024-04-31', '2024-02-30T10:00:00Z']) {
      expect(dateRange(value)).toBeUndefined();
      expect(() => assertValueSyntax('date', 'date', `ge${value}`)).toThrow(/Invalid date/);
    }
  });
});
