import { meetsConstraint, parseScopeConstraint } from '../../../src/access/scope-constraints';
import { readableRows, scopeGrant } from '../../../src/access/scopes';

const LAB = 'http://terminology.hl7.org/CodeSystem/observation-category|laboratory';

describe('SMART v2 scope constraints (the supported grammar)', () => {
  test.each([
    ['Observation', `category=${LAB}`, [{ param: 'category', system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'laboratory' }]],
    ['Observation', 'category=laboratory', [{ param: 'category', code: 'laboratory' }]],
    ['Observation', 'category=http%3A%2F%2Fterminology.hl7.org%2FCodeSystem%2Fobservation-category%7Cvital-signs',
      [{ param: 'category', system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'vital-signs' }]],
    ['Condition', 'category=problem-list-item&code=http://snomed.info/sct|44054006',
      [{ param: 'category', code: 'problem-list-item' }, { param: 'code', system: 'http://snomed.info/sct', code: '44054006' }]],
    ['DocumentReference', 'type=http://loinc.org|11488-4', [{ param: 'type', system: 'http://loinc.org', code: '11488-4' }]],
  ])('parses %s?%s', (type, query, expected) => {
    expect(parseScopeConstraint(type, query)).toEqual(expected);
  });

  test.each([
    ['Observation', 'date=ge2020-01-01', 'a date parameter'],
    ['Observation', 'subject=Patient/p1', 'a reference parameter'],
    ['Observation', 'category:not=laboratory', 'a modifier'],
    ['Observation', 'subject.name=x', 'a chain'],
    ['Observation', 'colour=red', 'an unknown parameter'],
    ['Observation', 'category=laboratory,vital-signs', 'an OR list'],
    ['Observation', 'category=|laboratory', 'an empty system'],
    ['Observation', `category=${LAB.replace('laboratory', '')}`, 'an empty code'],
    ['Observation', 'category=', 'an empty value'],
    ['Observation', '_security=R', 'a common parameter'],
    ['Observation', 'category=laboratory&', 'a trailing separator'],
    ['Observation', 'category=%E0%A4%A', 'a malformed percent-encoding'],
    ['Patient', 'gender=female', 'a record type'],
    ['Practitioner', 'active=true', 'a directory type'],
  ])('refuses %s?%s (%s)', (type, query) => {
    expect(parseScopeConstraint(type, query)).toBeUndefined();
  });

  test('a resource meets a constraint as its index rows say', () => {
    const lab = { resourceType: 'Observation', status: 'final', code: { text: 'TSH' },
      category: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'laboratory' }] }] } as const;
    expect(meetsConstraint(lab as any, parseScopeConstraint('Observation', `category=${LAB}`)!)).toBe(true);
    expect(meetsConstraint(lab as any, parseScopeConstraint('Observation', 'category=laboratory')!)).toBe(true);
    expect(meetsConstraint(lab as any, parseScopeConstraint('Observation', 'category=vital-signs')!)).toBe(false);
    expect(meetsConstraint(lab as any, parseScopeConstraint('Observation', 'category=other|laboratory')!)).toBe(false);
  });

  test('scopes of one type combine with OR, and a whole-type or wildcard scope wins', () => {
    const lab = `patient/Observation.rs?category=${LAB}`;
    const vitals = 'patient/Observation.rs?category=vital-signs';
    expect(scopeGrant([lab, vitals], 'r', 'Observation')).toHaveLength(2);
    expect(scopeGrant([lab, 'patient/Observation.r'], 'r', 'Observation')).toBe('all');
    expect(scopeGrant([lab], 'c', 'Observation')).toBeUndefined();
    expect(scopeGrant([lab], 'r', 'Condition')).toBeUndefined();
    expect(readableRows([lab, vitals, 'patient/Condition.rs'])).toEqual({ types: ['Condition'], constrained: { Observation: [expect.any(Array), expect.any(Array)] } });
    expect(readableRows([lab, 'patient/Observation.s'])).toEqual({ types: ['Observation'], constrained: {} });
    expect(readableRows([lab, 'patient/*.rs'])).toBeUndefined();
    expect(readableRows(['patient/Observation.rs?date=ge2020'])).toEqual({ types: [], constrained: {} });
  });
});
