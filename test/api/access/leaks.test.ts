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

test('a hidden document cannot be overwritten, patched or deleted: 404 like a missing one', async () => {
  const token = callers['authorised specialist'];
  const put = (d: string) =>
    request(a.app).put(`/fhir/DocumentReference/${d}`).set('Authorization', `Bearer ${token}`).set('Content-Type', 'application/fhir+json')
      .send(JSON.stringify({ resourceType: 'DocumentReference', id: d, status: 'current', subject: { reference: 'Patient/p1' }, content: [{ attachment: { contentType: 'text/plain', url: 'Binary/x' } }] }));
  const del = (d: string) => request(a.app).delete(`/fhir/DocumentReference/${d}`).set('Authorization', `Bearer ${token}`);
  const [ph, pm] = await Promise.all([put('d2'), put('zz-never-existed')]);
  expect(ph.status).toBe(404);
  expect(pm.status).not.toBe(200);
  const dh = await del('d2');
  expect(dh.status).toBe(404);
  const check = await request(a.app).get('/fhir/DocumentReference/d2').set('Authorization', `Bearer ${await a.token({ kind: 'patient', id: 'p1' })}`);
  expect(check.status).toBe(200);
});
