import { createHash } from 'node:crypto';
import request from 'supertest';
import type { Bundle, DocumentReference } from '@medplum/fhirtypes';
import type { TestApp } from '../../support/test-app';
import { binaryBytes, bundleResources, createDocumentsApp, createMarchalPatient, fixture, importCda, MARCHAL_DOCUMENTS, MARCHAL_INS } from './documents-app';

// Our own hand-written fixtures (fixtures/cda), one fictitious patient. What each document must produce is read
// from its XML: the public examples' import is checked by `npm run test:examples` (test/examples).
const documents: { file: string; id: string; contentType: string; produces: Record<string, number> }[] = [
  { file: 'cr-bio-thyroid-panel.xml', id: '1.2.250.1.999.1.1.8.1', contentType: 'application/hl7-cda+xml', produces: { Observation: 3, Specimen: 1, DiagnosticReport: 1, Binary: 1 } },
  { file: 'cr-img-thorax.xml', id: '1.2.250.1.999.1.1.9.1', contentType: 'text/xml', produces: { ImagingStudy: 1, DiagnosticReport: 1, Binary: 1 } },
  { file: 'vsm-synthese-medicale.xml', id: '1.2.250.1.999.1.1.10.1', contentType: 'application/xml', produces: { Condition: 1, AllergyIntolerance: 2, MedicationStatement: 1, Immunization: 1, Binary: 1 } },
  { file: 'cr-bio-pdf-level1.xml', id: '1.2.250.1.999.1.1.11.1', contentType: 'application/hl7-cda+xml', produces: { Binary: 2 } },
];

const countByType = (body: Bundle): Record<string, number> => {
  const counts: Record<string, number> = {};
  for (const r of bundleResources(body)) if (!['Patient', 'DocumentReference', 'Practitioner', 'Organization'].includes(r.resourceType)) counts[r.resourceType] = (counts[r.resourceType] ?? 0) + 1;
  return counts;
};

describe('CDA import through POST /fhir/DocumentReference/$import', () => {
  let app: TestApp;
  let patientId: string;
  beforeAll(async () => {
    app = await createDocumentsApp();
    patientId = await createMarchalPatient(app);
  });
  afterAll(() => app.close());

  it('covers every fixture of the patient', () => {
    expect(documents.map((d) => d.file).sort()).toEqual([...MARCHAL_DOCUMENTS].sort());
  });

  describe.each(documents)('$file', ({ file, id, contentType, produces }) => {
    const bytes = fixture(`cda/${file}`);
    let first: request.Response;

    it('imports with 201: one DocumentReference for the patient and the resources its entries describe', async () => {
      first = await importCda(app, bytes, contentType);
      expect(first.status).toBe(201);
      expect(first.body.type).toBe('transaction-response');
      const dr = bundleResources(first.body).find((r) => r.resourceType === 'DocumentReference') as unknown as DocumentReference;
      expect(dr.masterIdentifier).toEqual({ system: 'urn:ietf:rfc:3986', value: `urn:oid:${id}` });
      expect(dr.subject?.reference).toBe(`Patient/${patientId}`);
      expect(countByType(first.body)).toEqual(produces);
    });

    it('answers a re-sent document with 200 and the same resources, without duplicates', async () => {
      const again = await importCda(app, bytes, 'application/xml');
      expect(again.status).toBe(200);
      const ids = (b: Bundle) => bundleResources(b).map((r) => `${r.resourceType}/${r.id}`).sort();
      expect(ids(again.body)).toEqual(ids(first.body));
      const search = await request(app.app).get('/fhir/DocumentReference').query({ identifier: `urn:ietf:rfc:3986|urn:oid:${id}` });
      expect(search.body.total ?? search.body.entry?.length).toBe(1);
    });

    it('serves the original bytes from attachment.url, SHA-1 equal to attachment.hash (ITI-68)', async () => {
      const dr = bundleResources(first.body).find((r) => r.resourceType === 'DocumentReference') as unknown as DocumentReference;
      const attachment = dr.content[0].attachment;
      expect(attachment.url).toMatch(/^Binary\/[0-9a-f-]+$/);
      const got = await binaryBytes(app, attachment.url as string);
      expect(got.status).toBe(200);
      expect(got.bytes.equals(bytes)).toBe(true);
      expect(createHash('sha1').update(got.bytes).digest('base64')).toBe(attachment.hash);
    });
  });

  it('links the patient found by INS: every document lands in one Patient record', async () => {
    const patients = await request(app.app).get('/fhir/Patient').query({ identifier: `${MARCHAL_INS.system}|${MARCHAL_INS.value}` });
    expect(patients.body.entry).toHaveLength(1);
    const docs = await request(app.app).get('/fhir/DocumentReference').query({ patient: `Patient/${patientId}` });
    expect(docs.body.entry).toHaveLength(documents.length);
  });

  it('keeps each practitioner and organisation once however many documents name them', async () => {
    // The biologist and her laboratory author both the thyroid panel and the PDF copy of an earlier report.
    const practitioners = await request(app.app).get('/fhir/Practitioner').query({ identifier: 'urn:oid:1.2.250.1.71.4.2.1|810100234565' });
    expect(practitioners.body.entry).toHaveLength(1);
    const labs = await request(app.app).get('/fhir/Organization').query({ identifier: 'urn:oid:1.2.250.1.71.4.2.2|1330012345' });
    expect(labs.body.entry).toHaveLength(1);
  });

  it('finds an extracted result by code under the patient, with its value and unit', async () => {
    const res = await request(app.app).get('/fhir/Observation').query({ patient: `Patient/${patientId}`, code: 'http://loinc.org|3016-3' });
    expect(res.body.entry).toHaveLength(1);
    expect(res.body.entry[0].resource.valueQuantity).toMatchObject({ value: 6.8, code: 'm[IU]/L' });
  });

  it('serves the embedded PDF of the level-1 document as its own Binary', async () => {
    const search = await request(app.app).get('/fhir/DocumentReference').query({ identifier: 'urn:ietf:rfc:3986|urn:oid:1.2.250.1.999.1.1.11.1' });
    const dr = search.body.entry[0].resource as DocumentReference;
    const pdf = dr.content.find((c) => c.attachment.contentType === 'application/pdf')?.attachment;
    const got = await binaryBytes(app, pdf?.url as string);
    expect(got.status).toBe(200);
    expect(got.contentType).toMatch(/^application\/pdf/);
    expect(got.bytes.subarray(0, 8).toString('latin1')).toBe('%PDF-1.4');
    expect(got.bytes.length).toBe(pdf?.size);
  });
});
