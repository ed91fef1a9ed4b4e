import request from 'supertest';
import { FHIR_JSON, type TestApp } from '../../support/test-app';
import { createDocumentsApp, createFrenchTestPatient, fixture, FR_TEST_INS, importCda, provideBundle } from './documents-app';

/**
 * One document id, one DocumentReference, whatever the channel (issue 13 item 8). fixtures/cda/lab-report-two-results.xml
 * (read from the XML): ClinicalDocument/id root 1.2.250.1.999.1.1.7.1 (no extension → masterIdentifier
 * urn:ietf:rfc:3986|urn:oid:1.2.250.1.999.1.1.7.1), patient PAT-TROIS (test INS 279035121518989), two results
 * (glucose 14749-6, potassium 2823-3). lab-report-two-results-v2.xml: id 1.2.250.1.999.1.1.7.2, same patient.
 */
const V1 = { bytes: fixture('cda/lab-report-two-results.xml'), masterValue: 'urn:oid:1.2.250.1.999.1.1.7.1' };
const V2 = { bytes: fixture('cda/lab-report-two-results-v2.xml'), masterValue: 'urn:oid:1.2.250.1.999.1.1.7.2' };

const refOf = (location: string) => location.split('/_history/')[0].split('/').slice(-2).join('/');
const statuses = (res: request.Response): string[] => res.body.entry.map((e: { response: { status: string } }) => e.response.status);

describe('one document id gives one DocumentReference, across $import, ITI-65 and ITI-105', () => {
  let app: TestApp;
  let patient: string;
  beforeAll(async () => {
    app = await createDocumentsApp();
    patient = await createFrenchTestPatient(app);
  });
  afterAll(() => app.close());

  const post = (body: object) => request(app.app).post('/fhir').set('Content-Type', FHIR_JSON).send(body);
  const documentsWith = async (masterValue: string): Promise<string[]> => {
    const res = await request(app.app).get('/fhir/DocumentReference').query({ identifier: `urn:ietf:rfc:3986|${masterValue}` });
    return (res.body.entry ?? []).map((e: { resource: { id: string } }) => `DocumentReference/${e.resource.id}`);
  };
  const resultsOf = async (document: string): Promise<number> => {
    const res = await request(app.app).get('/fhir/Observation').query({ patient, _count: '100' });
    return (res.body.entry ?? []).filter((e: { resource: { extension?: { valueReference?: { reference?: string } }[] } }) =>
      e.resource.extension?.some((x) => x.valueReference?.reference === document)).length;
  };

  it('answers an ITI-65 submission of a document already imported by $import with the filed resources, writing nothing', async () => {
    const imported = await importCda(app, V1.bytes);
    expect(imported.status).toBe(201);
    const [document] = await documentsWith(V1.masterValue);
    expect(imported.headers.location).toContain(`/${document}/_history/1`);
    const res = await post(provideBundle(V1, `Patient/${patient}`));
    expect(res.status).toBe(200);
    expect(statuses(res)).toEqual(['200 OK', '200 OK', '200 OK']);
    expect(res.body.entry[0].response.location).toBeUndefined(); // $import filed no SubmissionSet
    expect(refOf(res.body.entry[1].response.location)).toBe(document);
    expect(refOf(res.body.entry[2].response.location)).toMatch(/^Binary\//);
    expect(await documentsWith(V1.masterValue)).toEqual([document]);
    expect(await resultsOf(document)).toBe(2);
  });

  it('answers a $import of a document first submitted by ITI-65 with 200, its DocumentReference in Location and body', async () => {
    const submitted = await post(provideBundle(V2, `Patient/${patient}`));
    expect(submitted.status).toBe(200);
    expect(statuses(submitted)).toEqual(['201 Created', '201 Created', '201 Created']);
    const document = refOf(submitted.body.entry[1].response.location);
    const res = await importCda(app, V2.bytes);
    expect(res.status).toBe(200);
    expect(res.headers.location).toContain(`/${document}/_history/`);
    expect(res.headers['content-location']).toBe(res.headers.location);
    const answered = res.body.entry.map((e: { response: { location: string } }) => refOf(e.response.location));
    expect(answered).toContain(document);
    expect(await documentsWith(V2.masterValue)).toEqual([document]);
    expect(await resultsOf(document)).toBe(2);
    // Once more by $import: the ledger now answers, with the same document.
    const again = await importCda(app, V2.bytes);
    expect(again.status).toBe(200);
    expect(again.headers.location).toContain(`/${document}/_history/`);
  });

  it('answers the same ITI-65 bundle posted twice, even concurrently, with one DocumentReference', async () => {
    const bundle = JSON.parse(fixture('pdsm/iti65-submission.json').toString('utf8'));
    bundle.entry[1].resource.subject = { reference: `Patient/${patient}` };
    bundle.entry[0].resource.subject = { reference: `Patient/${patient}` };
    // The source's patient (contained, `sourcePatientInfo`) is the document's: an INS of another record is refused.
    for (const holder of [bundle.entry[0].resource, bundle.entry[1].resource]) {
      for (const c of holder.contained ?? []) if (c.resourceType === 'Patient') c.identifier = [FR_TEST_INS];
    }
    bundle.entry[1].resource.masterIdentifier = { system: 'urn:ietf:rfc:3986', value: 'urn:oid:1.2.250.1.999.7.1.42' };
    const [a, b] = await Promise.all([post(bundle), post(bundle)]);
    expect([a.status, b.status]).toEqual([200, 200]);
    const documents = await documentsWith('urn:oid:1.2.250.1.999.7.1.42');
    expect(documents).toHaveLength(1);
    expect([refOf(a.body.entry[1].response.location), refOf(b.body.entry[1].response.location)]).toEqual([documents[0], documents[0]]);
    const third = await post(bundle);
    expect(statuses(third)).toEqual(['200 OK', '200 OK', '200 OK']);
    expect(await documentsWith('urn:oid:1.2.250.1.999.7.1.42')).toHaveLength(1);
  });

  it('answers a $import racing an ITI-65 post of the same document with the winner\'s DocumentReference, never 409', async () => {
    for (const n of [51, 52, 53]) {
      const twin = { bytes: Buffer.from(V1.bytes.toString('utf8').replace('<id root="1.2.250.1.999.1.1.7.1"/>', `<id root="1.2.250.1.999.1.1.7.${n}"/>`)), masterValue: `urn:oid:1.2.250.1.999.1.1.7.${n}` };
      const [imported, submitted] = await Promise.all([importCda(app, twin.bytes), post(provideBundle(twin, `Patient/${patient}`))]);
      expect([imported.status, JSON.stringify(imported.body.issue ?? '')]).toEqual([expect.any(Number), '""']);
      expect([201, 200]).toContain(imported.status);
      expect([submitted.status, JSON.stringify(submitted.body.issue ?? '')]).toEqual([200, '""']);
      const documents = await documentsWith(twin.masterValue);
      expect(documents).toHaveLength(1);
      expect(refOf(imported.headers.location)).toBe(documents[0]);
      expect(refOf(submitted.body.entry[1].response.location)).toBe(documents[0]);
      expect(await resultsOf(documents[0])).toBe(2);
    }
  });

  it('refuses (409) another content under a document id already filed, and writes nothing', async () => {
    const bundle = JSON.parse(fixture('pdsm/iti65-submission.json').toString('utf8'));
    bundle.entry[1].resource.subject = { reference: `Patient/${patient}` };
    bundle.entry[1].resource.masterIdentifier = { system: 'urn:ietf:rfc:3986', value: 'urn:oid:1.2.250.1.999.7.1.42' };
    bundle.entry[1].resource.content[0].attachment.hash = undefined;
    bundle.entry[1].resource.content[0].attachment.size = undefined;
    bundle.entry[2].resource.data = Buffer.from('another report').toString('base64');
    const res = await post(bundle);
    expect(res.status).toBe(409);
    expect(res.body.issue[0].diagnostics).toContain('urn:oid:1.2.250.1.999.7.1.42 is already in the DMP');
    expect(await documentsWith('urn:oid:1.2.250.1.999.7.1.42')).toHaveLength(1);
  });

  it('refuses (422) an ITI-65 DocumentReference whose masterIdentifier is not the id of the CDA it carries', async () => {
    const res = await post(provideBundle({ bytes: V1.bytes, masterValue: 'urn:oid:1.2.250.1.999.1.1.7.99' }, `Patient/${patient}`));
    expect(res.status).toBe(422);
    expect(res.body.issue[0].diagnostics).toContain('is not the id of the CDA document it carries (urn:oid:1.2.250.1.999.1.1.7.1)');
    expect(await documentsWith('urn:oid:1.2.250.1.999.1.1.7.99')).toHaveLength(0);
  });

  it('answers an ITI-105 publish of a document already filed with 200, its Location and the DocumentReference', async () => {
    const filed = await documentsWith(V1.masterValue);
    const published = {
      resourceType: 'DocumentReference', status: 'current',
      masterIdentifier: { system: 'urn:ietf:rfc:3986', value: V1.masterValue },
      subject: { reference: `Patient/${patient}` },
      content: [{ attachment: { contentType: 'text/xml', data: V1.bytes.toString('base64') } }],
    };
    const res = await request(app.app).post('/fhir/DocumentReference').set('Content-Type', FHIR_JSON).send(published);
    expect(res.status).toBe(200);
    expect(refOf(res.headers.location)).toBe(filed[0]);
    expect(`DocumentReference/${res.body.id}`).toBe(filed[0]);
    expect(await documentsWith(V1.masterValue)).toEqual(filed);
  });
});
