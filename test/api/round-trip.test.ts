import fs from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import { createTestApp, FHIR_JSON, type TestApp } from '../support/test-app';

const dir = path.resolve(__dirname, '../../fixtures/fhir');
const fixtures = fs.readdirSync(dir).filter((f) => f.endsWith('.json')).sort();

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => {
  await t.close();
});

/** A resource without the server-managed parts. */
function withoutServerFields(resource: Record<string, unknown>): Record<string, unknown> {
  const { id, meta, ...rest } = resource;
  void id;
  const { versionId, lastUpdated, ...keptMeta } = (meta ?? {}) as Record<string, unknown>;
  void versionId;
  void lastUpdated;
  return Object.keys(keptMeta).length ? { ...rest, meta: keptMeta } : rest;
}

it('has example resources of every type the DMP uses', () => {
  const types = new Set(fixtures.map((f) => f.split('-')[0]));
  for (const type of ['Patient', 'Practitioner', 'PractitionerRole', 'Organization', 'RelatedPerson', 'DocumentReference', 'Binary', 'List', 'AllergyIntolerance', 'MedicationStatement', 'Observation', 'Immunization', 'Consent', 'AuditEvent']) {
    expect(types).toContain(type);
  }
});

describe.each(fixtures)('%s', (file) => {
  it('is accepted and reads back unchanged apart from id and meta', async () => {
    const resource = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')) as Record<string, unknown>;
    const created = await request(t.app).post(`/fhir/${String(resource.resourceType)}`).set('Content-Type', FHIR_JSON).send(resource);
    expect(created.status).toBe(201);
    const read = await request(t.app).get(`/fhir/${String(resource.resourceType)}/${created.body.id}`).set('Accept', FHIR_JSON);
    expect(read.status).toBe(200);
    expect(withoutServerFields(read.body)).toEqual(withoutServerFields(resource));
  });
});
