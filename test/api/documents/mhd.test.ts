import { createHash } from 'node:crypto';
import request from 'supertest';
import type { Bundle, DocumentReference, List, Observation } from '@medplum/fhirtypes';
import { SOURCE_DOCUMENT_URL } from '../../../src/store/derived-columns';
import { FHIR_JSON, type TestApp } from '../../support/test-app';
import { binaryBytes, createDocumentsApp, createFrenchTestPatient, createPatient, fixture, FR_TEST_INS } from './documents-app';

const INS = { system: 'urn:oid:1.2.250.1.213.1.4.8', value: '180057512345627' };
const json = (path: string) => JSON.parse(fixture(path).toString('utf8'));

function post(app: TestApp, path: string, body: unknown) {
  return request(app.app).post(path).set('Content-Type', FHIR_JSON).send(body as object);
}

async function read<T>(app: TestApp, reference: string): Promise<T> {
  const res = await request(app.app).get(`/fhir/${reference}`);
  expect(res.status).toBe(200);
  return res.body as T;
}

/** `Type/id` out of a transaction-response location. */
const refOf = (location: string) => location.split('/_history/')[0].split('/').slice(-2).join('/');

describe('IHE MHD intake (PDSm): ITI-65, ITI-105, replacement', () => {
  let app: TestApp;
  let patientId: string;
  /** The record of PAT-TROIS, the patient of fixtures/cda/lab-report-two-results*.xml: their CDA is filed there only. */
  let labPatientId: string;
  beforeAll(async () => {
    app = await createDocumentsApp();
    patientId = await createPatient(app, [INS]);
    labPatientId = await createFrenchTestPatient(app);
  });
  afterAll(() => app.close());

  it('accepts the ITI-65 submission: one 201 entry per request entry, in order, references resolved', async () => {
    const res = await post(app, '/fhir', json('pdsm/iti65-submission.json'));
    expect(res.status).toBe(200);
    expect(res.body.type).toBe('transaction-response');
    expect(res.body.entry.map((e: { response: { status: string } }) => e.response.status)).toEqual(['201 Created', '201 Created', '201 Created']);
    const [listRef, docRef, binaryRef] = res.body.entry.map((e: { response: { location: string } }) => refOf(e.response.location));
    expect([listRef, docRef, binaryRef].map((r: string) => r.split('/')[0])).toEqual(['List', 'DocumentReference', 'Binary']);
    const list = await read<List>(app, listRef);
    expect(list.subject?.reference).toBe(`Patient/${patientId}`);
    expect(list.entry?.[0].item.reference).toBe(docRef);
    const doc = await read<DocumentReference>(app, docRef);
    expect(doc.subject?.reference).toBe(`Patient/${patientId}`);
    expect(doc.content[0].attachment.url).toBe(binaryRef);
    const { bytes } = await binaryBytes(app, binaryRef);
    expect(createHash('sha1').update(bytes).digest('base64')).toBe(doc.content[0].attachment.hash);
    expect(bytes.length).toBe(doc.content[0].attachment.size);
    const binary = await request(app.app).get(`/fhir/${binaryRef}`).set('Accept', FHIR_JSON);
    expect(binary.body.securityContext?.reference).toBe(docRef);
  });

  it('finds the submission set by code and patient (ITI-66)', async () => {
    const res = await request(app.app).get('/fhir/List').query({ code: 'https://profiles.ihe.net/ITI/MHD/CodeSystem/MHDlistTypes|submissionset', patient: patientId });
    expect(res.body.entry?.length).toBeGreaterThanOrEqual(1);
  });

  it('refuses with 422 an attachment whose hash does not match the Binary sent, and writes nothing', async () => {
    const bundle = json('pdsm/iti65-submission.json') as Bundle;
    const doc = bundle.entry?.[1].resource as DocumentReference;
    doc.masterIdentifier = { system: 'urn:ietf:rfc:3986', value: 'urn:oid:1.2.250.1.999.7.1.9' };
    doc.content[0].attachment.hash = createHash('sha1').update('other bytes').digest('base64');
    const res = await post(app, '/fhir', bundle);
    expect(res.status).toBe(422);
    const search = await request(app.app).get('/fhir/DocumentReference').query({ identifier: 'urn:ietf:rfc:3986|urn:oid:1.2.250.1.999.7.1.9' });
    expect(search.body.entry ?? []).toHaveLength(0);
  });

  it('maps a CDA Binary of an ITI-65 bundle like the CDA import, linking the extracted resources to the client document', async () => {
    const cda = fixture('cda/lab-report-two-results.xml');
    const bundle = json('pdsm/iti65-submission.json') as Bundle;
    const doc = bundle.entry?.[1].resource as DocumentReference;
    doc.masterIdentifier = { system: 'urn:ietf:rfc:3986', value: 'urn:oid:1.2.250.1.999.1.1.7.1' };
    doc.subject = { reference: `Patient/${labPatientId}` };
    (bundle.entry?.[0].resource as List).subject = { reference: `Patient/${labPatientId}` };
    // The source's patient (contained, `sourcePatientInfo`) is the document's: an INS of another record is refused.
    for (const holder of [doc, bundle.entry?.[0].resource as List]) {
      for (const c of holder.contained ?? []) if (c.resourceType === 'Patient') c.identifier = [FR_TEST_INS];
    }
    doc.content[0].attachment = { ...doc.content[0].attachment, contentType: 'text/xml', size: undefined, hash: undefined };
    (bundle.entry?.[2].resource as { data: string; contentType: string }).data = cda.toString('base64');
    (bundle.entry?.[2].resource as { contentType: string }).contentType = 'text/xml';
    const res = await post(app, '/fhir', bundle);
    expect(res.status).toBe(200);
    expect(res.body.entry).toHaveLength(3);
    const docRef = refOf(res.body.entry[1].response.location);
    const stored = await read<DocumentReference>(app, docRef);
    expect(stored.content[0].attachment.size).toBe(cda.length);
    expect(stored.content[0].attachment.hash).toBe(createHash('sha1').update(cda).digest('base64'));
    const observations = await request(app.app).get('/fhir/Observation').query({ patient: labPatientId });
    const fromDoc = (observations.body.entry ?? []).map((e: { resource: Observation }) => e.resource).filter((o: Observation) => o.extension?.some((x) => x.url === SOURCE_DOCUMENT_URL && x.valueReference?.reference === docRef));
    expect(fromDoc.length).toBe(2);
    expect(fromDoc.every((o: Observation) => o.subject?.reference === `Patient/${labPatientId}`)).toBe(true);
  });

  it('accepts the ITI-105 simplified publish: Binary extracted, hash and size filled, SubmissionSet derived', async () => {
    const published = json('pdsm/iti105-publish.json') as DocumentReference;
    const res = await post(app, '/fhir/DocumentReference', published);
    expect(res.status).toBe(201);
    expect(res.headers.location).toMatch(/\/DocumentReference\/[0-9a-f-]+\/_history\/1$/);
    const doc = res.body as DocumentReference;
    const attachment = doc.content[0].attachment;
    expect(attachment.data).toBeUndefined();
    expect(attachment.url).toMatch(/^Binary\/[0-9a-f-]+$/);
    const original = Buffer.from(published.content[0].attachment.data as string, 'base64');
    expect(attachment.size).toBe(original.length);
    const { bytes } = await binaryBytes(app, attachment.url as string);
    expect(bytes.equals(original)).toBe(true);
    expect(createHash('sha1').update(bytes).digest('base64')).toBe(attachment.hash);
    expect(doc.subject?.reference).toBe(`Patient/${patientId}`);
    const lists = await request(app.app).get('/fhir/List').query({ item: `DocumentReference/${doc.id}` });
    expect(lists.body.entry).toHaveLength(1);
    expect(lists.body.entry[0].resource.code.coding[0].code).toBe('submissionset');
  });

  it('maps a CDA published inline through ITI-105 like the CDA import', async () => {
    const cda = fixture('cda/lab-report-two-results-v2.xml');
    const published = json('pdsm/iti105-publish.json') as DocumentReference;
    published.masterIdentifier = { system: 'urn:ietf:rfc:3986', value: 'urn:oid:1.2.250.1.999.1.1.7.2' };
    published.subject = { reference: `Patient/${labPatientId}` };
    published.content[0].attachment = { contentType: 'text/xml', data: cda.toString('base64'), title: 'Compte rendu de biologie' };
    const res = await post(app, '/fhir/DocumentReference', published);
    expect(res.status).toBe(201);
    const reports = await request(app.app).get('/fhir/DiagnosticReport').query({ patient: labPatientId });
    const fromDoc = (reports.body.entry ?? []).filter((e: { resource: { extension?: { url: string; valueReference?: { reference?: string } }[] } }) =>
      e.resource.extension?.some((x) => x.url === SOURCE_DOCUMENT_URL && x.valueReference?.reference === `DocumentReference/${res.body.id}`),
    );
    expect(fromDoc).toHaveLength(1);
  });

  it('applies the PDSm replacement: the old document superseded, the new one linked, the FHIRPath Patch entry run', async () => {
    const target = await post(app, '/fhir', json('pdsm/replacement-target.json'));
    expect(target.status).toBe(200);
    const res = await post(app, '/fhir', json('pdsm/replacement-submission.json'));
    expect(res.status).toBe(200);
    expect(res.body.entry.map((e: { response: { status: string } }) => e.response.status)).toEqual(['201 Created', '201 Created', '200 OK', '201 Created']);
    const old = await read<DocumentReference>(app, 'DocumentReference/cr-consultation-v1');
    expect(old.status).toBe('superseded');
    const replacement = await read<DocumentReference>(app, refOf(res.body.entry[1].response.location));
    expect(replacement.relatesTo?.[0]).toMatchObject({ code: 'replaces', target: { reference: 'DocumentReference/cr-consultation-v1' } });
    expect(replacement.status).toBe('current');
  });

  it('refuses with 422 a replacement of a document that does not exist', async () => {
    const bundle = json('pdsm/replacement-submission.json') as Bundle;
    (bundle.entry?.[1].resource as DocumentReference).relatesTo = [{ code: 'replaces', target: { reference: 'DocumentReference/no-such-document' } }];
    // A document id of its own: the replacement above already filed 1.2.250.1.999.7.2.2 (a document id is filed once).
    (bundle.entry?.[1].resource as DocumentReference).masterIdentifier = { system: 'urn:ietf:rfc:3986', value: 'urn:oid:1.2.250.1.999.7.2.9' };
    bundle.entry?.splice(2, 1);
    const res = await post(app, '/fhir', bundle);
    expect(res.status).toBe(422);
  });
});
