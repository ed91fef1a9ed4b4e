import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import { documentsWiring } from '../../../src/documents/wiring';
import type { Hooks } from '../../../src/fhir/context';
import { createLogger } from '../../../src/logger';
import { createTestApp, FHIR_JSON, type TestApp } from '../../support/test-app';

/** The public CDA examples beside the repository. */
export const SHARED_CDA = join(__dirname, '../../../../shared/cda');
export const FIXTURES = join(__dirname, '../../../fixtures');

/** The core app with the documents wiring (operations and hooks), on a fresh database. */
export async function createDocumentsApp(extraHooks: Hooks[] = [], config: { maxCdaSize?: number; maxBodySize?: number } = {}): Promise<TestApp> {
  const base = await createTestApp({ config }); // only for its config; replaced below
  await base.close();
  const wiring = await documentsWiring({ config: base.config, db: undefined as never, logger: createLogger('silent'), env: {} });
  const testApp = await createTestApp({ config, hooks: [...extraHooks, ...(wiring.hooks ?? [])], operations: wiring.operations ?? [] });
  wiring.start?.(testApp.service);
  return testApp;
}

/** POSTs a CDA document to $import. */
export function importCda(app: TestApp, bytes: Buffer, contentType = 'application/hl7-cda+xml') {
  return request(app.app).post('/fhir/DocumentReference/$import').set('Content-Type', contentType).send(bytes);
}

/** Reads a fixture file. */
export function fixture(path: string): Buffer {
  return readFileSync(join(FIXTURES, path));
}

/** A Patient carrying the identifiers of the shared examples' test patient, created over HTTP. */
export async function createPatient(app: TestApp, identifiers: { system: string; value: string }[]): Promise<string> {
  const res = await request(app.app).post('/fhir/Patient').set('Content-Type', FHIR_JSON).send({ resourceType: 'Patient', identifier: identifiers, name: [{ use: 'official', family: 'TESTDOC', given: ['ALEX'] }], gender: 'female', birthDate: '1980-05-01' });
  if (res.status !== 201) throw new Error(`Patient create failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.id as string;
}

/** The test INS every public French example (and our own fixtures) carries. */
export const FR_TEST_INS = { system: 'urn:oid:1.2.250.1.213.1.4.10', value: '279035121518989' };

/** Opens the record of the French examples' test patient: documents are refused for a patient without one. */
export function createFrenchTestPatient(app: TestApp): Promise<string> {
  return createPatient(app, [FR_TEST_INS]);
}

/** GETs a Binary's raw bytes (ITI-68). */
export async function binaryBytes(app: TestApp, reference: string): Promise<{ status: number; contentType: string; bytes: Buffer }> {
  const res = await request(app.app)
    .get(`/fhir/${reference}`)
    .set('Accept', '*/*')
    .buffer(true)
    .parse((r, cb) => {
      const chunks: Buffer[] = [];
      r.on('data', (c: Buffer) => chunks.push(c));
      r.on('end', () => cb(null, Buffer.concat(chunks)));
    });
  return { status: res.status, contentType: String(res.headers['content-type']), bytes: res.body as Buffer };
}

/** The resources of a response Bundle. */
export function bundleResources(body: { entry?: { resource?: { resourceType: string } }[] }): ({ resourceType: string; id: string } & Record<string, unknown>)[] {
  return (body.entry ?? []).map((e) => e.resource).filter((r) => !!r) as ({ resourceType: string; id: string } & Record<string, unknown>)[];
}
