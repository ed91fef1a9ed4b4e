import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Binary, Bundle, DocumentReference, List, Patient } from '@medplum/fhirtypes';
import request from 'supertest';
import { planCdaImport } from '../../../src/cda';
import type { CdaPlanWorkers } from '../../../src/cda/plan-workers';
import type { Config } from '../../../src/config';
import { documentsWiring } from '../../../src/documents/wiring';
import type { Hooks } from '../../../src/fhir/context';
import { createLogger } from '../../../src/logger';
import { createTestApp, FHIR_JSON, type TestApp } from '../../support/test-app';

/** The repository's own fixtures: everything `npm test` reads lives in the repository (test/unit/self-contained.test.ts). */
export const FIXTURES = join(__dirname, '../../../fixtures');

/**
 * The core app with the documents wiring (operations and hooks), on a fresh database. `workers`: a CDA worker pool of
 * the test's own (else the configured one: none under Jest, which runs no worker script, so CDA is parsed inline);
 * it is closed with the app.
 */
export async function createDocumentsApp(extraHooks: Hooks[] = [], config: Partial<Config> = {}, workers?: CdaPlanWorkers): Promise<TestApp> {
  const base = await createTestApp({ config }); // only for its config; replaced below
  await base.close();
  const wiring = await documentsWiring({ config: base.config, db: undefined as never, logger: createLogger('silent'), env: {} }, workers);
  const testApp = await createTestApp({ config, hooks: [...extraHooks, ...(wiring.hooks ?? [])], operations: wiring.operations ?? [] });
  wiring.start?.(testApp.service);
  return { ...testApp, close: async () => Promise.all([testApp.close(), wiring.close?.()]).then(() => undefined) };
}

/** POSTs a CDA document to $import. */
export function importCda(app: TestApp, bytes: Buffer, contentType = 'application/hl7-cda+xml') {
  return request(app.app).post('/fhir/DocumentReference/$import').set('Content-Type', contentType).send(bytes);
}

/** Reads a fixture file. */
export function fixture(path: string): Buffer {
  return readFileSync(join(FIXTURES, path));
}

/** Identity traits a record must have (DmpPatient). */
export type PatientTraits = Pick<Patient, 'name' | 'gender' | 'birthDate'>;

/** A generic identity, for tests whose documents are not matched by their CDA header (ITI-65, ITI-105). */
const GENERIC_TRAITS: PatientTraits = { name: [{ use: 'official', family: 'TESTDOC', given: ['ALEX'] }], gender: 'female', birthDate: '1980-05-01' };

/**
 * The identity traits (name, gender, birth date) of a CDA document's recordTarget: a record that agrees with it. A
 * trait the document lacks is taken from the generic identity (a trait missing on one side is no conflict).
 */
export function traitsOfDocument(bytes: Buffer): PatientTraits {
  const { name, gender, birthDate } = planCdaImport(bytes).patientTraits;
  return { name: name ?? GENERIC_TRAITS.name, gender: gender ?? GENERIC_TRAITS.gender, birthDate: birthDate ?? GENERIC_TRAITS.birthDate };
}

/** A Patient carrying the given identifiers and identity traits, created over HTTP. */
export async function createPatient(app: TestApp, identifiers: { system: string; value: string }[], traits: PatientTraits = GENERIC_TRAITS): Promise<string> {
  const res = await request(app.app).post('/fhir/Patient').set('Content-Type', FHIR_JSON).send({ resourceType: 'Patient', identifier: identifiers, ...traits });
  if (res.status !== 201) throw new Error(`Patient create failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.id as string;
}

/** The test INS of fixtures/cda/lab-report-two-results*.xml (and of every public French example). */
export const FR_TEST_INS = { system: 'urn:oid:1.2.250.1.213.1.4.10', value: '279035121518989' };

/** Opens the record of that test patient: documents are refused for a patient without one. */
export function createFrenchTestPatient(app: TestApp): Promise<string> {
  return createPatient(app, [FR_TEST_INS], traitsOfDocument(fixture('cda/lab-report-two-results.xml')));
}

/**
 * The test INS of Hélène MARCHAL, the fictitious patient of our hand-written fixtures cr-bio-thyroid-panel,
 * cr-img-thorax, vsm-synthese-medicale and cr-bio-pdf-level1 (key 56 = 97 − 2860633063123 mod 97).
 */
export const MARCHAL_INS = { system: 'urn:oid:1.2.250.1.213.1.4.10', value: '286063306312356' };

/** The four fixtures of Hélène MARCHAL's record, in fixtures/cda. */
export const MARCHAL_DOCUMENTS = ['cr-bio-thyroid-panel.xml', 'cr-img-thorax.xml', 'vsm-synthese-medicale.xml', 'cr-bio-pdf-level1.xml'];

/** Opens Hélène MARCHAL's record. */
export function createMarchalPatient(app: TestApp): Promise<string> {
  return createPatient(app, [MARCHAL_INS], traitsOfDocument(fixture('cda/cr-bio-thyroid-panel.xml')));
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
/** The resources a search answers (200 expected), as an app reading the record would get them. */
export async function searchResources(app: TestApp, type: string, query: Record<string, string>): Promise<Record<string, any>[]> {
  const res = await request(app.app).get(`/fhir/${type}`).query(query);
  expect(res.status).toBe(200);
  return (res.body.entry ?? []).map((e: { resource: Record<string, any> }) => e.resource);
}

export function bundleResources(body: { entry?: { resource?: { resourceType: string } }[] }): ({ resourceType: string; id: string } & Record<string, unknown>)[] {
  return (body.entry ?? []).map((e) => e.resource).filter((r) => !!r) as ({ resourceType: string; id: string } & Record<string, unknown>)[];
}

/** A minimal ITI-65 Provide Document Bundle: SubmissionSet, DocumentReference of `subject`, the CDA Binary. */
export function provideBundle(cda: { bytes: Buffer; masterValue: string }, subject: string): Bundle {
  const doc: DocumentReference = {
    resourceType: 'DocumentReference',
    status: 'current',
    masterIdentifier: { system: 'urn:ietf:rfc:3986', value: cda.masterValue },
    type: { coding: [{ system: 'http://loinc.org', code: '11502-2' }] },
    subject: { reference: subject },
    content: [{ attachment: { contentType: 'text/xml', url: 'urn:uuid:00000000-0000-4000-8000-0000000000b1' } }],
  };
  const list: List = {
    resourceType: 'List', status: 'current', mode: 'working', subject: { reference: subject },
    code: { coding: [{ system: 'https://profiles.ihe.net/ITI/MHD/CodeSystem/MHDlistTypes', code: 'submissionset' }] },
    entry: [{ item: { reference: 'urn:uuid:00000000-0000-4000-8000-0000000000d1' } }],
  };
  const binary: Binary = { resourceType: 'Binary', contentType: 'text/xml', data: cda.bytes.toString('base64') };
  return {
    resourceType: 'Bundle', type: 'transaction',
    entry: [
      { fullUrl: 'urn:uuid:00000000-0000-4000-8000-0000000000a1', resource: list, request: { method: 'POST', url: 'List' } },
      { fullUrl: 'urn:uuid:00000000-0000-4000-8000-0000000000d1', resource: doc, request: { method: 'POST', url: 'DocumentReference' } },
      { fullUrl: 'urn:uuid:00000000-0000-4000-8000-0000000000b1', resource: binary, request: { method: 'POST', url: 'Binary' } },
    ],
  };
}
