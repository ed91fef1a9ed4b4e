import type { Resource } from '@medplum/fhirtypes';
import request from 'supertest';
import { markSystemContext } from '../../../src/access/access-hooks';
import type { RequestContext } from '../../../src/fhir/context';
import { SOURCE_DOCUMENT_URL } from '../../../src/store/derived-columns';
import { TRUE } from '../../../src/store/sql';
import { loadFixture } from './fixture';
import { createAccessApp, type AccessApp } from './harness';
import { RequestState } from '../../../src/fhir/request-state';

// Issue 11, attack 4: a chain reads its targets through the caller's access predicate at every hop, so a value
// the caller may not see cannot be recovered by bisection on a resource he can see that points at it.

let a: AccessApp;
let patient: string;

const result = (id: string, patientId: string, value: number, extra: Partial<Record<string, unknown>> = {}): Resource => ({
  resourceType: 'Observation', id, status: 'final', code: { text: 'potassium' }, subject: { reference: `Patient/${patientId}` },
  valueQuantity: { value, unit: 'mmol/L', system: 'http://unitsofmeasure.org', code: 'mmol/L' }, ...extra,
} as Resource);
const panel = (id: string, members: string[]): Resource => ({
  resourceType: 'Observation', id, status: 'final', code: { text: 'panel' }, subject: { reference: 'Patient/p1' },
  hasMember: members.map((m) => ({ reference: `Observation/${m}` })),
} as Resource);

beforeAll(async () => {
  a = await createAccessApp();
  await loadFixture(a.service);
  const ctx: RequestContext = { requestId: 'chains', access: TRUE, state: new RequestState() };
  markSystemContext(ctx);
  const rows: Resource[] = [
    result('p2-secret', 'p2', 7.3), // another patient's result
    result('d4-secret', 'p1', 6.1, { extension: [{ url: SOURCE_DOCUMENT_URL, valueReference: { reference: 'DocumentReference/d4' } }] }), // INVISIBLE_PATIENT
    result('p1-own', 'p1', 4.2),
    panel('panel-other', ['p2-secret']),
    panel('panel-hidden', ['d4-secret']),
    panel('panel-own', ['p1-own']),
    panel('panel-of-panels', ['panel-other', 'panel-hidden']),
  ];
  for (const r of rows) await a.service.repo.update(ctx, r);
  patient = await a.token({ kind: 'patient', id: 'p1' });
}, 120_000);
afterAll(() => a.close());

const search = (query: string, headers: Record<string, string> = {}) =>
  request(a.app).get(`/fhir/${query}`).set('Authorization', `Bearer ${patient}`).set(headers);
const ids = (body: { entry?: { resource: { id: string }; search: { mode: string } }[] }, mode = 'match') =>
  (body.entry ?? []).filter((e) => e.search.mode === mode).map((e) => e.resource.id).sort();

test('a chain on a visible target matches (the test can fail)', async () => {
  const res = await search('Observation?has-member:Observation.value-quantity=gt4');
  expect(res.status).toBe(200);
  expect(ids(res.body)).toEqual(['panel-own']);
});

test('a patient cannot bisect another patient\'s result through a chain from his own Observation (attack 4)', async () => {
  for (const bound of ['gt5', 'gt7', 'lt8', 'ge0']) {
    const res = await search(`Observation?_id=panel-other&has-member:Observation.value-quantity=${bound}`);
    expect(res.status).toBe(200);
    expect(res.body.total).toBe(0);
  }
  const missing = await search('Observation?_id=panel-other&has-member:Observation.value-quantity:missing=false');
  expect(missing.body.total).toBe(0);
});

test('a patient cannot bisect a result extracted from a document invisible to him through a chain (attack 4)', async () => {
  for (const bound of ['gt5', 'lt7']) {
    const res = await search(`Observation?_id=panel-hidden&has-member:Observation.value-quantity=${bound}`);
    expect(res.body.total).toBe(0);
  }
});

test('every hop of a two-hop chain is filtered (attack 4)', async () => {
  const res = await search('Observation?has-member:Observation.has-member:Observation.value-quantity=gt0');
  expect(res.status).toBe(200);
  expect(ids(res.body)).toEqual([]);
  const sum = await search('Observation?has-member:Observation.has-member:Observation.value-quantity=gt0&_summary=count');
  expect(sum.body.total).toBe(0);
});

test('a chain through the compartment reads only Patients the caller may see', async () => {
  const own = await search('AllergyIntolerance?patient.family=Martin');
  expect(ids(own.body)).toEqual(['a1']);
  const practitioner = await a.token({ kind: 'practitioner', id: '10000000077' });
  const other = await request(a.app).get('/fhir/AllergyIntolerance?patient.family=Martin').set('Authorization', `Bearer ${practitioner}`);
  expect(other.body.total).toBe(0);
});
