import request from 'supertest';
import type { MedicationRequest } from '@medplum/fhirtypes';
import type { TestApp } from '../../support/test-app';
import { bundleResources, createDocumentsApp, createPatient, fixture, importCda, traitsOfDocument } from './documents-app';

// fixtures/cda/prescription-qualifiers.xml, read by hand: line 1 (metformin, CIS 60000033) is related to an ALD
// (MED-574 true) and not reimbursed = false; line 2 (paracetamol, CIS 60000044) holds a renewal period given only as
// a width (relationship r4) and an ALD qualifier without a value (r5), which nothing can represent.
describe('a prescription imported through $import keeps its line qualifiers and lists what it could not represent', () => {
  let app: TestApp;
  let patient: string;
  const bytes = fixture('cda/prescription-qualifiers.xml');
  beforeAll(async () => {
    app = await createDocumentsApp();
    patient = await createPatient(app, [{ system: 'urn:oid:1.2.250.1.213.1.4.10', value: '172037512304522' }], traitsOfDocument(bytes));
  });
  afterAll(() => app.close());

  it('answers 201 with the two unrepresented statements of line 2 in the DocumentReference entry’s OperationOutcome', async () => {
    const res = await importCda(app, bytes);
    expect(res.status).toBe(201);
    const entry = res.body.entry.find((e: { response: { location: string } }) => e.response.location.includes('/DocumentReference/'));
    const warnings = entry.response.outcome.issue.filter((i: { code: string }) => i.code === 'not-supported');
    expect(warnings.map((i: { diagnostics: string; details: { coding: { code: string }[] } }) => [i.details.coding[0].code, i.diagnostics])).toEqual([
      ['57828-6', 'paths: s1.e2.r4'],
      ['57828-6', 'paths: s1.e2.r5'],
    ]);
  });

  it('serves the metformin line with its ALD stated as a contained Observation named by reasonReference, and no Observation of its own in the record', async () => {
    const search = await request(app.app).get('/fhir/MedicationRequest').query({ patient, code: 'urn:oid:1.2.250.1.213.2.3.1|60000033' });
    expect(search.status).toBe(200);
    const [metformin] = bundleResources(search.body) as unknown as MedicationRequest[];
    expect(metformin.reasonReference).toContainEqual({ reference: '#ald' });
    expect(metformin.contained?.find((c) => c.id === 'ald')).toMatchObject({ resourceType: 'Observation', code: { coding: [{ code: 'MED-574' }] }, valueBoolean: true });
    expect(metformin.substitution?.allowedCodeableConcept?.coding?.[0].code).toBe('N');
    const observations = await request(app.app).get('/fhir/Observation').query({ patient, _summary: 'count' });
    expect(observations.body.total).toBe(0);
  });
});
