import type { Resource } from '@medplum/fhirtypes';
import request from 'supertest';
import { markSystemContext } from '../../../src/access/access-hooks';
import type { RequestContext } from '../../../src/fhir/context';
import { RequestState } from '../../../src/fhir/request-state';
import { SOURCE_DOCUMENT_URL } from '../../../src/store/derived-columns';
import { TRUE } from '../../../src/store/sql';
import { loadFixture, RPPS } from './fixture';
import { createAccessApp, type AccessApp } from './harness';

// Issue 11, attack 4 in reverse: `X?_has:Y:ref:value-quantity=gtN` must not tell a caller anything about a Y he may not
// see. Every Y below points at three resources most callers see (Organization/org1 by `performer`, Observation/x-obs by
// `hasMember`, its Patient by `subject`); which Y each caller sees follows the fixture's consents and labels. For every
// caller and bound the answer must be what it would be if the hidden Y did not exist.

const LAB = 'http://terminology.hl7.org/CodeSystem/observation-category|laboratory';
const [labSystem, labCode] = LAB.split('|');

interface Y { id: string; patient: string; value: number; doc?: string; lab?: boolean }
const YS: Y[] = [
  { id: 'y-p1', patient: 'p1', value: 4.2, lab: true },
  { id: 'y-d3', patient: 'p1', value: 5.5, doc: 'd3' }, // MASQUE_PS at submission, written by `author`
  { id: 'y-d4', patient: 'p1', value: 6.1, doc: 'd4' }, // INVISIBLE_PATIENT
  { id: 'y-p2', patient: 'p2', value: 7.3 }, // another patient's
  { id: 'y-d2', patient: 'p1', value: 8.2, doc: 'd2' }, // masked by the patient's consent, written by `author`
];

const observation = (y: Y): Resource => ({
  resourceType: 'Observation', id: y.id, status: 'final',
  code: { coding: [{ system: 'http://loinc.org', code: '2823-3' }], text: 'potassium' },
  ...(y.lab ? { category: [{ coding: [{ system: labSystem, code: labCode }] }] } : {}),
  subject: { reference: `Patient/${y.patient}` },
  performer: [{ reference: 'Organization/org1' }],
  hasMember: [{ reference: 'Observation/x-obs' }],
  valueQuantity: { value: y.value, unit: 'mmol/L', system: 'http://unitsofmeasure.org', code: 'mmol/L' },
  ...(y.doc ? { extension: [{ url: SOURCE_DOCUMENT_URL, valueReference: { reference: `DocumentReference/${y.doc}` } }] } : {}),
} as Resource);

const extra: Resource[] = [
  { resourceType: 'Observation', id: 'x-obs', status: 'final', code: { text: 'member' }, subject: { reference: 'Patient/p1' },
    category: [{ coding: [{ system: labSystem, code: labCode }] }] } as Resource,
  ...YS.map(observation),
  { resourceType: 'List', id: 'l-d1', status: 'current', mode: 'working', code: { coding: [{ system: 'urn:test', code: 'submission' }] },
    subject: { reference: 'Patient/p1' }, entry: [{ item: { reference: 'DocumentReference/d1' } }] } as Resource,
  { resourceType: 'Observation', id: 'panel-a', status: 'final', code: { coding: [{ system: 'urn:test', code: 'panel' }] },
    subject: { reference: 'Patient/p1' }, hasMember: [{ reference: 'Observation/m-1' }, { reference: 'Observation/m-2' }] } as Resource,
  { resourceType: 'Observation', id: 'm-1', status: 'final', code: { text: 'm' }, subject: { reference: 'Patient/p1' } } as Resource,
  { resourceType: 'Observation', id: 'm-2', status: 'final', code: { text: 'm' }, subject: { reference: 'Patient/p1' } } as Resource,
];

/** What each caller sees: the Y rows, whether x-obs, and which Patients (from the fixture's consents and labels). */
interface Caller { token: string; ys: string[]; xObs: boolean; patients: string[] }
const callers: Record<string, Caller> = {};
let a: AccessApp;

beforeAll(async () => {
  a = await createAccessApp();
  await loadFixture(a.service);
  const ctx: RequestContext = { requestId: 'reverse-chains', access: TRUE, state: new RequestState() };
  markSystemContext(ctx);
  for (const r of extra) await a.service.repo.update(ctx, r);
  const add = async (label: string, token: Promise<string>, ys: string[], xObs: boolean, patients: string[]) => {
    callers[label] = { token: await token, ys, xObs, patients };
  };
  const P1 = ['y-p1', 'y-d3', 'y-d2'];
  await add('patient', a.token({ kind: 'patient', id: 'p1' }), P1, true, ['p1']);
  await add('guardian', a.token({ kind: 'guardian', id: 'rp1' }), P1, true, ['p1']);
  await add('other patient', a.token({ kind: 'patient', id: 'p2' }), ['y-p2'], false, ['p2']);
  await add('treating physician', a.token({ kind: 'practitioner', id: RPPS.gp }), ['y-p1', 'y-d3', 'y-d4', 'y-d2'], true, ['p1']);
  await add('authorised specialist', a.token({ kind: 'practitioner', id: RPPS.spec }), ['y-p1', 'y-d4'], true, ['p1']);
  await add('author without authorisation', a.token({ kind: 'practitioner', id: RPPS.author }), ['y-d3', 'y-d2'], false, []);
  await add('practitioner whose permit was withdrawn', a.token({ kind: 'practitioner', id: RPPS.other }), [], false, []);
  await add('blocked practitioner', a.token({ kind: 'practitioner', id: RPPS.blocked }), [], false, []);
  await add('break-glass practitioner', a.token({ kind: 'practitioner', id: '10000000055', purpose: 'BTG', reason: 'coma' }), ['y-p1', 'y-d4'], true, ['p1']);
  await add('feeder', a.token({ kind: 'system', id: 'lab-feeder' }), [], false, []);
  await add('patient app with laboratory Observations only', a.token({
    kind: 'patient', id: 'p1', scope: `patient/Patient.rs patient/Organization.rs patient/Observation.rs?category=${LAB}`,
  }), ['y-p1'], true, ['p1']);
}, 180_000);
afterAll(() => a.close());

const get = (token: string, query: string, headers: Record<string, string> = {}) =>
  request(a.app).get(`/fhir/${query}`).set('Authorization', `Bearer ${token}`).set(headers);
const ids = (body: { entry?: { resource: { id: string }; search: { mode: string } }[] }) =>
  (body.entry ?? []).filter((e) => e.search.mode === 'match').map((e) => e.resource.id).sort();

const BOUNDS = ['eq4.2', 'eq5.5', 'eq6.1', 'eq7.3', 'eq8.2', 'gt5', 'gt6', 'gt7', 'gt8', 'lt5', 'lt6', 'ge0'];
/** The bound as the server reads it, on the values used here (each written with one decimal). */
function holds(bound: string, value: number): boolean {
  const n = Number(bound.slice(2));
  switch (bound.slice(0, 2)) {
    case 'eq': return Math.abs(value - n) < 0.05;
    case 'gt': return value > n;
    case 'lt': return value < n;
    default: return value >= n;
  }
}

describe.each(Object.keys(extraCallers()))('%s', (label) => {
  test('learns from _has exactly what the Observations he may see say, on every bound (attack 4 in reverse)', async () => {
    const caller = callers[label];
    const wrong: string[] = [];
    for (const bound of BOUNDS) {
      const matching = YS.filter((y) => caller.ys.includes(y.id) && holds(bound, y.value));
      const expected: [string, string[]][] = [
        [`Organization?_id=org1&_has:Observation:performer:value-quantity=${bound}`, matching.length ? ['org1'] : []],
        [`Observation?_id=x-obs&_has:Observation:has-member:value-quantity=${bound}`, caller.xObs && matching.length ? ['x-obs'] : []],
        [`Patient?_has:Observation:patient:value-quantity=${bound}`, [...new Set(matching.map((y) => y.patient))].filter((p) => caller.patients.includes(p)).sort()],
      ];
      for (const [query, want] of expected) {
        const res = await get(caller.token, query);
        if (res.status !== 200) wrong.push(`${query}: ${res.status} ${JSON.stringify(res.body.issue)}`);
        else if (JSON.stringify([ids(res.body), res.body.total]) !== JSON.stringify([want, want.length])) {
          wrong.push(`${query}: got ${JSON.stringify(ids(res.body))} total ${res.body.total}, expected ${JSON.stringify(want)}`);
        }
      }
    }
    expect(wrong).toEqual([]);
  });
});

/** The callers' labels, known before beforeAll runs (describe.each needs them at collection time). */
function extraCallers(): Record<string, true> {
  return Object.fromEntries([
    'patient', 'guardian', 'other patient', 'treating physician', 'authorised specialist', 'author without authorisation',
    'practitioner whose permit was withdrawn', 'blocked practitioner', 'break-glass practitioner', 'feeder',
    'patient app with laboratory Observations only',
  ].map((l) => [l, true]));
}

describe('what _has finds (the treating physician, who sees the whole record)', () => {
  const gp = () => callers['treating physician'].token;

  test('Patient?_has:Observation:patient:code finds the patients with such a result, with modifiers as on Observation', async () => {
    const res = await get(gp(), 'Patient?_has:Observation:patient:code=http://loinc.org|2823-3');
    expect([res.status, ids(res.body), res.body.total]).toEqual([200, ['p1'], 1]);
    const none = await get(gp(), 'Patient?_has:Observation:patient:code=0000-0');
    expect([none.status, none.body.total]).toEqual([200, 0]);
    const missing = await get(gp(), 'Patient?_has:Observation:patient:value-quantity:missing=false');
    expect(ids(missing.body)).toEqual(['p1']);
  });

  test('Observation?_has:Observation:has-member finds the members of matching panels, with totals and paging', async () => {
    const first = await get(gp(), 'Observation?_has:Observation:has-member:code=urn:test|panel&_count=1');
    expect([first.status, first.body.total, ids(first.body).length]).toEqual([200, 2, 1]);
    const next = first.body.link.find((l: { relation: string }) => l.relation === 'next').url as string;
    const second = await request(a.app).get(next.slice(next.indexOf('/fhir/'))).set('Authorization', `Bearer ${gp()}`);
    expect(second.status).toBe(200);
    expect([...ids(first.body), ...ids(second.body)].sort()).toEqual(['m-1', 'm-2']);
    const count = await get(gp(), 'Observation?_has:Observation:has-member:code=urn:test|panel&_summary=count');
    expect(count.body.total).toBe(2);
  });

  test('DocumentReference?_has:List:item:code finds the documents a matching List names', async () => {
    const res = await get(gp(), 'DocumentReference?_has:List:item:code=urn:test|submission');
    expect([res.status, ids(res.body)]).toEqual([200, ['d1']]);
  });

  test('a nested _has (two levels) is followed, each level through the caller\'s predicate', async () => {
    const res = await get(gp(), 'Patient?_has:Observation:patient:_has:Observation:has-member:code=urn:test|panel');
    expect([res.status, ids(res.body)]).toEqual([200, ['p1']]);
    const patient = callers.patient.token;
    // x-obs's only panels above 6 the patient may see: y-p2 is another patient's, y-d4 INVISIBLE_PATIENT; y-d2 (8.2) is his.
    const own = await get(patient, 'Patient?_has:Observation:patient:_has:Observation:has-member:value-quantity=eq6.1');
    expect([own.status, own.body.total]).toEqual([200, 0]);
    const visible = await get(patient, 'Patient?_has:Observation:patient:_has:Observation:has-member:value-quantity=eq8.2');
    expect(ids(visible.body)).toEqual(['p1']);
  });
});

describe('malformed _has answers 400 naming the part, strict or not', () => {
  const cases: [string, RegExp][] = [
    ['Patient?_has:Observation:patient:_has:Observation:has-member:_has:Observation:has-member:code=x', /at most 2 levels/],
    ['Patient?_has:Nothing:patient:code=x', /"Nothing"/],
    ['Patient?_has:Claim:patient:code=x', /"Claim"/],
    ['Patient?_has:Observation:nope:code=x', /"nope"/],
    ['Patient?_has:Observation:code:code=x', /"code" is not a reference/],
    ['Organization?_has:Observation:patient:code=x', /Observation\.patient cannot point at Organization/],
    ['Patient?_has:Observation:patient:nope=x', /Unknown search parameter "nope" for Observation/],
    ['Patient?_has:Observation:patient:code:bogus=x', /":bogus"/],
    ['Patient?_has:Observation:patient:value-quantity=gtx', /value-quantity/],
    ['Patient?_has:Observation=x', /_has:<Type>:<referenceParam>:<searchParam>/],
    ['Patient?_has=x', /_has:<Type>:<referenceParam>:<searchParam>/],
  ];
  test.each(cases)('%s', async (query, message) => {
    const res = await get(callers['treating physician'].token, query);
    expect(res.status).toBe(400);
    expect(res.body.resourceType).toBe('OperationOutcome');
    expect(res.body.issue.map((i: { diagnostics: string }) => i.diagnostics).join(' ')).toMatch(message);
  });
});
