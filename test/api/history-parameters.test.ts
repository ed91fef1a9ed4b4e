import request from 'supertest';
import { createTestApp, FHIR_JSON, type TestApp } from '../support/test-app';

// Rule (FHIR R4 http.html#history; src/fhir/handlers/history.ts): a history takes _count and _since (and R4's _at and
// _list, not supported here). `_summary` is not a history parameter: `_summary=count` answered every version instead
// of a count, so it is refused with 400 strict or not, as are _at and _list, each of which would answer versions that
// were not asked for. Other parameters are handled as search handles unknown ones: ignored, 400 under
// `Prefer: handling=strict`. The CapabilityStatement documents the history interactions so.

let t: TestApp;
let id: string;
beforeAll(async () => {
  t = await createTestApp();
  const made = await request(t.app).post('/fhir/Practitioner').set('Content-Type', FHIR_JSON)
    .send(JSON.stringify({ resourceType: 'Practitioner', name: [{ family: 'Martin' }] }));
  id = made.body.id;
});
afterAll(async () => {
  await t.close();
});

const paths = () => ['/fhir/_history', '/fhir/Practitioner/_history', `/fhir/Practitioner/${id}/_history`];

test('_summary=count on system, type and instance history: 400 with an OperationOutcome saying why, not entries', async () => {
  for (const path of paths()) {
    for (const prefer of [undefined, 'handling=lenient', 'handling=strict']) {
      const req = request(t.app).get(`${path}?_summary=count`);
      const res = prefer ? await req.set('Prefer', prefer) : await req;
      expect([path, prefer, res.status]).toEqual([path, prefer, 400]);
      expect(res.body.resourceType).toBe('OperationOutcome');
      expect(res.body.issue[0].diagnostics).toContain('_summary=count is not supported on _history');
    }
  }
});

test('_at and _list are refused (400): ignoring them answered versions they do not select', async () => {
  for (const path of paths()) {
    for (const query of ['_at=2000-01-01', '_list=x']) {
      const res = await request(t.app).get(`${path}?${query}`);
      expect([path, query, res.status, res.body.resourceType]).toEqual([path, query, 400, 'OperationOutcome']);
    }
  }
});

test('an unknown parameter is ignored, and refused under Prefer: handling=strict, as in search', async () => {
  for (const path of paths()) {
    const lenient = await request(t.app).get(`${path}?foo=bar&_summary=false&_count=5`);
    expect([path, lenient.status, lenient.body.type]).toEqual([path, 200, 'history']);
    expect(lenient.body.entry.length).toBeGreaterThan(0);
    const strict = await request(t.app).get(`${path}?foo=bar`).set('Prefer', 'handling=strict');
    expect([path, strict.status]).toEqual([path, 400]);
    expect(strict.body.issue[0].diagnostics).toContain('"foo"');
  }
  // The search the same caller makes, for comparison.
  expect((await request(t.app).get('/fhir/Practitioner?foo=bar')).status).toBe(200);
  expect((await request(t.app).get('/fhir/Practitioner?foo=bar').set('Prefer', 'handling=strict')).status).toBe(400);
  // The parameters a history reads still work together under strict handling.
  expect((await request(t.app).get('/fhir/_history?_count=2&_since=2000-01-01T00:00:00Z').set('Prefer', 'handling=strict')).status).toBe(200);
});

test('the CapabilityStatement says what history takes', async () => {
  const res = await request(t.app).get('/fhir/metadata');
  const system = res.body.rest[0].interaction.find((i: { code: string }) => i.code === 'history-system');
  expect(system.documentation).toMatch(/_count and _since.*_summary=count are not supported \(400\)/);
  const practitioner = res.body.rest[0].resource.find((r: { type: string }) => r.type === 'Practitioner');
  const instance = practitioner.interaction.find((i: { code: string }) => i.code === 'history-instance');
  expect(instance.documentation).toBe(system.documentation);
});
