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
  it('is accepted and reads back unchanged apart from id and meta (or, for a type nobody creates, is valid and refused 405)', async () => {
    const resource = JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')) as Record<string, unknown>;
    if (!t.service.resourceTypes.get(String(resource.resourceType))?.includes('create')) {
      // AuditEvents are written by the server only: the example is checked valid, and the API refuses to store it.
      // How stored events read back is the audit suites' (`test/api/audit/scenario.test.ts`: read, vread, history).
      expect(() => t.service.validate(resource as never)).not.toThrow();
      expect((await request(t.app).post(`/fhir/${String(resource.resourceType)}`).set('Content-Type', FHIR_JSON).send(resource)).status).toBe(405);
      return;
    }
    const created = await request(t.app).post(`/fhir/${String(resource.resourceType)}`).set('Content-Type', FHIR_JSON).send(resource);
    expect(created.status).toBe(201);
    const read = await request(t.app).get(`/fhir/${String(resource.resourceType)}/${created.body.id}`).set('Accept', FHIR_JSON);
    expect(read.status).toBe(200);
    expect(withoutServerFields(read.body)).toEqual(withoutServerFields(resource));
  });
});
