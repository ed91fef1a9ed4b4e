import { meetsConstraint, parseScopeConstraint } from '../../../src/access/scope-constraints';
import { readableRows, scopeGrant } from '../../../src/access/scopes';
import { RESOURCE_CLASSES } from '../../../src/access/resource-classes';
import { searchParam } from '../../../src/kernel/search/registry';

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

// Every offered type: a constrained scope on `category`, `code` or `type` parses exactly where the type is clinical and
// the parameter is a token of its own; everywhere else it is refused (and so grants nothing).
describe.each(Object.keys(RESOURCE_CLASSES).sort())('constrained scopes on %s', (type) => {
  test.each(['category', 'code', 'type'])('%s', (param) => {
    const def = searchParam(type, param);
    const expected = RESOURCE_CLASSES[type] === 'clinical' && def?.type === 'token' && !def.sources;
    const parsed = parseScopeConstraint(type, `${param}=http://example.org/cs|x`);
    expect(parsed !== undefined).toBe(expected);
  });
});

test('the parameters the issue names are among them', () => {
  for (const [type, param] of [['Observation', 'category'], ['Observation', 'code'], ['Condition', 'category'], ['Condition', 'code'],
    ['DocumentReference', 'category'], ['DocumentReference', 'type']]) {
    expect(parseScopeConstraint(type, `${param}=x`)).toEqual([{ param, code: 'x' }]);
  }
});
