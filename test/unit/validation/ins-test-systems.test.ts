import { describeInsSystems, loadInsSystemsPolicy } from '../../../src/validation/ins-test-systems';
import { requestInsProblems } from '../../../src/access/ins-entry-check';
import type { FhirRequest } from '../../../src/fhir/request';

// Issue 11, identity leftovers: the test and demo NIR are refused in production unless INS_TEST_OIDS=allow
// (README "Configuration"). HTTP behaviour: test/api/access/ins-test-systems-production.test.ts.

const TEST_NIR = 'urn:oid:1.2.250.1.213.1.4.10';
const DEMO_NIR = 'urn:oid:1.2.250.1.213.1.4.11';
const create = (system: string): FhirRequest => ({ method: 'POST', segments: ['Patient'], query: [], headers: {}, body: { resourceType: 'Patient', identifier: [{ system, value: '279035121518989' }] } }) as unknown as FhirRequest;

describe('the INS systems a server accepts', () => {
  it('outside production: all four, the test and demo NIR included', () => {
    for (const env of [{}, { NODE_ENV: 'development' }, { NODE_ENV: 'test' }]) {
      const policy = loadInsSystemsPolicy(env);
      expect([policy.accepted.includes(TEST_NIR), policy.accepted.includes(DEMO_NIR), policy.refused]).toEqual([true, true, []]);
      expect(requestInsProblems(create(TEST_NIR), policy)).toEqual([]);
    }
  });

  it('in production: the test and demo NIR refused, the NIR and NIA accepted', () => {
    const policy = loadInsSystemsPolicy({ NODE_ENV: 'production' });
    expect(policy.refused).toEqual([TEST_NIR, DEMO_NIR]);
    expect(policy.accepted).toEqual(['urn:oid:1.2.250.1.213.1.4.8', 'urn:oid:1.2.250.1.213.1.4.9']);
    expect(requestInsProblems(create(DEMO_NIR), policy).map((i) => i.diagnostics)).toEqual([expect.stringContaining(`INS system ${DEMO_NIR} (test or demonstration NIR) is not accepted`)]);
    expect(requestInsProblems(create('urn:oid:1.2.250.1.213.1.4.8'), policy)).toEqual([]);
  });

  it('in production with INS_TEST_OIDS=allow: all four, and the start-up line is a warning', () => {
    const policy = loadInsSystemsPolicy({ NODE_ENV: 'production', INS_TEST_OIDS: 'allow' });
    expect(policy.refused).toEqual([]);
    expect(describeInsSystems(policy).level).toBe('warn');
    expect(describeInsSystems(loadInsSystemsPolicy({})).level).toBe('info');
  });

  it('refuses any other INS_TEST_OIDS value rather than guessing', () => {
    for (const value of ['1', 'true', 'yes', 'ALLOW']) expect(() => loadInsSystemsPolicy({ NODE_ENV: 'production', INS_TEST_OIDS: value })).toThrow(/INS_TEST_OIDS must be allow/);
  });
});
