import { startAuditServer, type AuditServer } from '../audit/server-harness';
import { consent, loadFixture, maskDoc, RPPS } from './fixture';
import type { DocumentReference } from '@medplum/fhirtypes';
import { provideBundle } from '../documents/documents-app';
import { P1_IMAGING_REPORT } from './p1-documents';

// Intake safety and "hidden means absent" for imaging reports (CR-IMG). The ImagingStudy an imaging report is about
// was created as a shared row, found or created by its DICOM Study Instance UID, outside the document: (1) an imaging
// centre's system (a feeder, which writes only the parts of a document) could file no imaging report at all — every
// $import answered 403 "may not write a free-standing ImagingStudy"; (2) masking the report left its study — what was
// examined, when — readable by every professional the record admits. Now the study is the document's own extracted row.
// Read from fixtures/cda/cr-img-thorax.xml: a chest X-ray (serviceEvent code ZBQK002, Study Instance UID
// 1.2.250.1.999.6.2025.220.1, started 2025-02-20T10:15:00+01:00), conclusion "Radiographie thoracique sans anomalie.";
// rewritten here for p1 of the access fixture (INS, family name, birth date) and signed by p1's treating physician.

let s: AuditServer;
const tokens: Record<string, string> = {};
const IMAGING_REPORT = P1_IMAGING_REPORT;

const importCda = (token: string, xml: string) => s.importCda(token, xml);
const studiesSeenBy = async (who: string): Promise<string[]> =>
  ((await s.fhir(tokens[who], 'GET', '/ImagingStudy?patient=p1')).body.entry ?? []).map((e: any) => e.resource.id);

let documentId: string;
let studyId: string;

beforeAll(async () => {
  s = await startAuditServer();
  await loadFixture(s.server.service);
  tokens.feeder = await s.token({ kind: 'system', id: 'imaging-feeder' });
  tokens.patient = await s.token({ kind: 'patient', id: 'p1' });
  tokens.spec = await s.token({ kind: 'practitioner', id: RPPS.spec });
  tokens.gp = await s.token({ kind: 'practitioner', id: RPPS.gp });
}, 120_000);
afterAll(() => s?.close());

describe('an imaging report filed by an imaging centre\'s system', () => {
  test('lands (201) with the study it reports on, part of the document', async () => {
    const res = await importCda(tokens.feeder, IMAGING_REPORT);
    expect([res.status, res.status === 201 ? '' : JSON.stringify(res.body)]).toEqual([201, '']);
    const ids = (res.body.entry as any[]).map((e) => e.response.location.split('/_history/')[0].split('/').slice(-2).join('/'));
    documentId = ids.find((r: string) => r.startsWith('DocumentReference/'))!.split('/')[1];
    studyId = ids.find((r: string) => r.startsWith('ImagingStudy/'))!.split('/')[1];
    const study = (await s.fhir(tokens.spec, 'GET', `/ImagingStudy/${studyId}`)).body;
    expect(study.identifier[0]).toEqual({ system: 'urn:dicom:uid', value: 'urn:oid:1.2.250.1.999.6.2025.220.1' });
    expect(study.procedureCode[0].coding[0].code).toBe('ZBQK002');
    expect(study.subject.reference).toBe('Patient/p1');
    const report = ((await s.fhir(tokens.spec, 'GET', `/DiagnosticReport?patient=p1`)).body.entry ?? []).map((e: any) => e.resource).find((r: any) => r.conclusion === 'Radiographie thoracique sans anomalie.');
    expect(report.imagingStudy).toEqual([{ reference: `ImagingStudy/${studyId}` }]);
  });

  test('is masked with its study: once the patient masks the report, the specialist she authorised reads neither', async () => {
    expect(await studiesSeenBy('spec')).toEqual([studyId]);
    const mask = await s.fhir(tokens.patient, 'POST', '/Consent', { ...consent('x', 'p1', { type: 'deny', data: maskDoc(documentId) }), id: undefined });
    expect(mask.status).toBe(201);
    expect((await s.fhir(tokens.spec, 'GET', `/DocumentReference/${documentId}`)).status).toBe(404);
    expect((await s.fhir(tokens.spec, 'GET', `/ImagingStudy/${studyId}`)).status).toBe(404);
    expect(await studiesSeenBy('spec')).toEqual([]);
    // The report's author (the treating physician) and the patient still read it.
    expect(await studiesSeenBy('gp')).toEqual([studyId]);
    expect(await studiesSeenBy('patient')).toEqual([studyId]);
  });

  test('is changed only by replacing the document: its author may not edit the study row', async () => {
    const study = (await s.fhir(tokens.gp, 'GET', `/ImagingStudy/${studyId}`)).body;
    const put = await s.fhir(tokens.gp, 'PUT', `/ImagingStudy/${studyId}`, { ...study, status: 'cancelled' });
    expect(put.status).toBe(403);
    expect((await s.fhir(tokens.gp, 'GET', `/ImagingStudy/${studyId}`)).body.status).toBe('available');
  });
});

describe('an imaging report submitted by ITI-65 (Provide Document Bundle with the CDA as content)', () => {
  test('lands with its study, part of the document, when a feeder sends it', async () => {
    const xml = P1_IMAGING_REPORT.replace('<id root="1.2.250.1.999.1.1.9.1"/>', '<id root="1.2.250.1.999.1.1.9.2"/>');
    const bundle = provideBundle({ bytes: Buffer.from(xml), masterValue: 'urn:oid:1.2.250.1.999.1.1.9.2' }, 'Patient/p1');
    const doc = bundle.entry?.[1].resource as DocumentReference;
    doc.type = { coding: [{ system: 'http://loinc.org', code: '18748-4' }] };
    doc.author = [{ identifier: { system: 'urn:oid:1.2.250.1.71.4.2.1', value: `8${RPPS.gp}` } }];
    const res = await s.fhir(tokens.feeder, 'POST', '', bundle);
    expect([res.status, res.status === 200 ? '' : JSON.stringify(res.body)]).toEqual([200, '']);
    expect(res.body.entry.map((e: any) => e.response.status)).toEqual(['201 Created', '201 Created', '201 Created']);
    expect(await studiesSeenBy('gp')).toHaveLength(2);
    // The first report stays masked from the specialist, with its study; this one and its study are not.
    expect((await studiesSeenBy('spec')).filter((id) => id !== studyId)).toHaveLength(1);
    expect(await studiesSeenBy('spec')).not.toContain(studyId);
  });
});
