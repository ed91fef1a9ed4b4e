import request from 'supertest';
import { createTestApp, FHIR_JSON, type TestApp } from '../support/test-app';

// The core with no authentication provider at all: a request context starts with nothing allowed.
let t: TestApp;
beforeAll(async () => {
  t = await createTestApp({ openAccess: false });
});
afterAll(async () => {
  await t.close();
});

describe('an app composed without any access provider', () => {
  it('shows nothing: a stored Patient answers 404 to read and is absent from search, history and totals', async () => {
    const created = await request(t.app).post('/fhir/Patient').set('Content-Type', FHIR_JSON).send({ resourceType: 'Patient', name: [{ family: 'Fermé' }] });
    expect(created.status).toBe(201);
    const id = created.body.id as string;

    expect((await request(t.app).get(`/fhir/Patient/${id}`)).status).toBe(404);
    expect((await request(t.app).get(`/fhir/Patient/${id}/_history/1`)).status).toBe(404);
    const search = await request(t.app).get('/fhir/Patient?_total=accurate');
    expect(search.status).toBe(200);
    expect(search.body.total).toBe(0);
    expect(search.body.entry ?? []).toHaveLength(0);
    const history = await request(t.app).get('/fhir/Patient/_history');
    expect(history.body.entry ?? []).toHaveLength(0);
  });
});
