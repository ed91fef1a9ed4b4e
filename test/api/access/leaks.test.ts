import request from 'supertest';
import { loadFixture, RPPS } from './fixture';
import { createAccessApp, type AccessApp } from './harness';

// For every read path, a document hidden from the caller answers exactly like one that never existed: same
// status, same headers that matter, same body once ids, request ids and timestamps are blanked.

let a: AccessApp;
const callers: Record<string, string> = {};

beforeAll(async () => {
  a = await createAccessApp();
  await loadFixture(a.service);
  callers['authorised specialist'] = await a.token({ kind: 'practitioner', id: RPPS.spec });
  callers['SAMU regulator'] = await a.token({ kind: 'practitioner', id: '10000000066', role: 'samu-regulator' });
  callers['break-glass practitioner'] = await a.token({ kind: 'practitioner', id: '10000000055', purpose: 'BTG', reason: 'coma' });
  callers['unauthorised practitioner'] = await a.token({ kind: 'practitioner', id: '10000000077' });
}, 120_000);
afterAll(() => a.close());

/** Blanks what legitimately differs between two answers: the ids asked for, instants, request ids. */
function normalise(text: string, ids: string[]): string {
  let out = text;
  for (const id of ids) out = out.split(id).join('<id>');
  return out
    .replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)/g, '<instant>')
    .replace(/request [0-9a-f-]{8,}/g, 'request <rid>')
    .replace(/https?:\/\/[^/"]+/g, '<base>'); // each supertest call listens on its own port
}

/** Read paths, each as a URL template over the document id `{d}` (and its Binary `{d}-bin`, extraction `{d}-obs`). */
const PATHS: Record<string, string> = {
  read: '/fhir/DocumentReference/{d}',
  vread: '/fhir/DocumentReference/{d}/_history/1',
  'instance history': '/fhir/DocumentReference/{d}/_history',
  'Binary read': '/fhir/Binary/{d}-bin',
  'Binary as FHIR JSON': '/fhir/Binary/{d}-bin?_format=json',
  'extracted resource read': '/fhir/Observation/{d}-obs',
  'search by _id': '/fhir/DocumentReference?_id={d}',
  'search by _id with _include': '/fhir/DocumentReference?_id={d}&_include=DocumentReference:subject',
  'count of Binaries by _id': '/fhir/Binary?_id={d}-bin&_summary=count',
  'Observation revincluding nothing': '/fhir/Observation?_id={d}-obs&_revinclude=Provenance:target',
};

const HIDDEN: Record<string, string> = {
  'authorised specialist': 'd2',
  'SAMU regulator': 'd3',
  'break-glass practitioner': 'd2',
  'unauthorised practitioner': 'd1',
};

const cases = Object.keys(HIDDEN).flatMap((caller) => Object.keys(PATHS).map((path) => [caller, path] as const));

test.each(cases)('%s cannot tell a hidden document from a missing one (%s)', async (caller, path) => {
  const hidden = HIDDEN[caller];
  const missing = 'zz-never-existed';
  const ask = (d: string) => request(a.app).get(PATHS[path].split('{d}').join(d)).set('Authorization', `Bearer ${callers[caller]}`);
  const [h, m] = await Promise.all([ask(hidden), ask(missing)]);
  expect(h.status).toBe(m.status);
  for (const header of ['content-type', 'etag', 'last-modified', 'content-location', 'www-authenticate']) expect(h.headers[header]).toEqual(m.headers[header]);
  expect(normalise(h.text, [hidden, missing])).toBe(normalise(m.text, [hidden, missing]));
});

test('a visible document answers differently from a missing one (the comparison can fail)', async () => {
  const ask = (d: string) => request(a.app).get(`/fhir/DocumentReference/${d}`).set('Authorization', `Bearer ${callers['authorised specialist']}`);
  const [visible, missing] = await Promise.all([ask('d1'), ask('zz-never-existed')]);
  expect(visible.status).toBe(200);
  expect(missing.status).toBe(404);
  expect(normalise(visible.text, ['d1', 'zz-never-existed'])).not.toBe(normalise(missing.text, ['d1', 'zz-never-existed']));
});

/** Write paths (issue 11, attack 9), each as a method, URL template, optional If-Match and body over `{d}`. */
interface WritePath { method: 'put' | 'patch' | 'delete'; url: string; ifMatch?: string; body?: (d: string) => unknown; status: number }
const observation = (id: string) => ({ resourceType: 'Observation', id, status: 'final', code: { text: 'overwritten' }, subject: { reference: 'Patient/p1' } });
const JSON_PATCH = () => [{ op: 'replace', path: '/status', value: 'amended' }];
const WRITES: Record<string, WritePath> = {
  'update (update-as-create refused alike)': { method: 'put', url: '/fhir/Observation/{d}-obs', body: (d) => observation(`${d}-obs`), status: 403 },
  'update with If-Match': { method: 'put', url: '/fhir/Observation/{d}-obs', ifMatch: 'W/"1"', body: (d) => observation(`${d}-obs`), status: 412 },
  patch: { method: 'patch', url: '/fhir/Observation/{d}-obs', body: JSON_PATCH, status: 404 },
  'patch with If-Match': { method: 'patch', url: '/fhir/Observation/{d}-obs', ifMatch: 'W/"1"', body: JSON_PATCH, status: 404 },
  'delete of the document': { method: 'delete', url: '/fhir/DocumentReference/{d}', status: 200 },
  'delete of its Binary': { method: 'delete', url: '/fhir/Binary/{d}-bin', status: 200 },
  'delete of an extracted resource': { method: 'delete', url: '/fhir/Observation/{d}-obs', status: 200 },
  'conditional update naming the id': { method: 'put', url: '/fhir/Observation?_id={d}-obs', body: (d) => observation(`${d}-obs`), status: 403 },
  'conditional patch': { method: 'patch', url: '/fhir/Observation?_id={d}-obs', body: JSON_PATCH, status: 404 },
  'conditional delete': { method: 'delete', url: '/fhir/DocumentReference?_id={d}', status: 200 },
};
const writeCases = Object.keys(HIDDEN).flatMap((caller) => Object.keys(WRITES).map((path) => [caller, path] as const));

test.each(writeCases)('%s cannot tell a hidden document from a missing one by writing (%s)', async (caller, path) => {
  const w = WRITES[path];
  const hidden = HIDDEN[caller];
  const missing = 'zz-never-existed';
  const ask = (d: string) => {
    let req = request(a.app)[w.method](w.url.split('{d}').join(d)).set('Authorization', `Bearer ${callers[caller]}`);
    if (w.ifMatch) req = req.set('If-Match', w.ifMatch);
    if (!w.body) return req;
    const type = Array.isArray(w.body(d)) ? 'application/json-patch+json' : 'application/fhir+json';
    return req.set('Content-Type', type).send(JSON.stringify(w.body(d)));
  };
  const h = await ask(hidden);
  const m = await ask(missing);
  expect([h.status, m.status]).toEqual([w.status, w.status]);
  for (const header of ['content-type', 'etag', 'location']) expect(h.headers[header]).toEqual(m.headers[header]);
  expect(normalise(h.text, [hidden, missing])).toBe(normalise(m.text, [hidden, missing]));
});

test('the hidden documents were left untouched by those writes', async () => {
  const patient = await a.token({ kind: 'patient', id: 'p1' });
  for (const d of ['d1', 'd2', 'd3']) {
    for (const path of [`/fhir/DocumentReference/${d}`, `/fhir/Binary/${d}-bin?_format=json`, `/fhir/Observation/${d}-obs`]) {
      const res = await request(a.app).get(path).set('Authorization', `Bearer ${patient}`);
      expect([path, res.status, res.body.meta?.versionId]).toEqual([path, 200, '1']);
    }
  }
  expect((await request(a.app).get('/fhir/Observation/zz-never-existed-obs').set('Authorization', `Bearer ${patient}`)).status).toBe(404);
});

test('a conditional update that matches nothing still creates, under an id the server draws', async () => {
  const token = callers['authorised specialist'];
  const body = { resourceType: 'Observation', status: 'final', code: { text: 'new' }, subject: { reference: 'Patient/p1' }, identifier: [{ system: 'urn:test', value: 'cu-1' }] };
  const res = await request(a.app).put('/fhir/Observation?identifier=urn:test|cu-1').set('Authorization', `Bearer ${token}`)
    .set('Content-Type', 'application/fhir+json').send(JSON.stringify(body));
  expect(res.status).toBe(201);
  expect(res.body.id).toMatch(/^[0-9a-f-]{36}$/);
});
