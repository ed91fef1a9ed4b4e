import type { Resource } from '@medplum/fhirtypes';
import request from 'supertest';
import type { MintOptions } from '../../../src/auth/mint-token';
import { migrate } from '../../../src/store/migrate';
import { sql } from '../../../src/store/sql';
import { SOURCE_DOCUMENT_URL } from '../../../src/store/derived-columns';
import { A07, consent, IDNAT, loadFixture, maskDoc, RPPS, systemContext } from './fixture';
import { createAccessApp, type AccessApp } from './harness';

// Migration 206: ImagingStudy rows an imaging report's import wrote before the study became the report's own extracted
// row (commit 39d132b) were shared rows governed by no document, so masking the report left its study readable by
// every authorised professional. The rows are written here as that importer wrote them (server context, conditional
// study with no source-document extension, the report naming it in context.related), the migration is run again, and
// each study then follows its report: hidden with it, still in the patient's $everything, absent for outsiders.

let a: AccessApp;
const MIGRATION = '206_imaging_studies_governed_by_their_reports.sql';
const WHO: Record<string, MintOptions> = {
  patient: { kind: 'patient', id: 'p1' },
  gp: { kind: 'practitioner', id: RPPS.gp },
  spec: { kind: 'practitioner', id: RPPS.spec },
  other: { kind: 'practitioner', id: RPPS.other },
  feeder: { kind: 'system', id: 'imaging-feeder' },
};
const tokens: Record<string, string> = {};

/** A study as the importer created it before 39d132b: found or created by its DICOM UID, no source-document extension. */
const legacyStudy = (id: string, uid: string): Resource => ({
  resourceType: 'ImagingStudy', id, status: 'available', subject: { reference: 'Patient/p1' },
  identifier: [{ system: 'urn:dicom:uid', value: `urn:oid:${uid}` }],
  procedureCode: [{ coding: [{ system: 'https://www.atih.sante.fr/ccam', code: 'ZBQK002' }], text: 'Radiographie du thorax' }],
  started: '2025-02-20T10:15:00+01:00',
} as Resource);

/** An imaging report naming its study in context.related (unless `studyId` is empty), as the importer wrote it. */
const report = (id: string, studyId: string, flags: string[] = []): Resource => ({
  resourceType: 'DocumentReference', id, status: 'current', subject: { reference: 'Patient/p1' },
  type: { coding: [{ system: 'http://loinc.org', code: '18748-4' }] },
  securityLabel: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-Confidentiality', code: 'N' }] }, ...flags.map((code) => ({ coding: [{ system: A07, code }] }))],
  author: [{ identifier: { system: IDNAT, value: `8${RPPS.author}` } }],
  ...(studyId ? { context: { related: [{ reference: `ImagingStudy/${studyId}`, identifier: { system: 'urn:dicom:uid', value: `urn:oid:1.2.250.1.999.${studyId}` } }] } } : {}),
  content: [{ attachment: { contentType: 'text/plain', data: Buffer.from(`compte rendu ${id}`).toString('base64') } }],
} as Resource);

/** A structured report's DiagnosticReport, extracted from document `docId`, naming the study it reports on. */
const diagnosticReport = (id: string, docId: string, studyId: string): Resource => ({
  resourceType: 'DiagnosticReport', id, status: 'final', subject: { reference: 'Patient/p1' }, code: { coding: [{ system: 'http://loinc.org', code: '18748-4' }] },
  extension: [{ url: SOURCE_DOCUMENT_URL, valueReference: { reference: `DocumentReference/${docId}` } }],
  imagingStudy: [{ reference: `ImagingStudy/${studyId}` }],
} as Resource);

const get = (who: string, url: string) => request(a.app).get(url).set('Authorization', `Bearer ${tokens[who]}`);
const status = async (who: string, id: string): Promise<number> => (await get(who, `/fhir/ImagingStudy/${id}`)).status;
const studiesFound = async (who: string): Promise<string[]> =>
  ((await get(who, '/fhir/ImagingStudy?patient=Patient/p1&_count=100')).body.entry ?? []).map((e: { resource: { id: string } }) => e.resource.id).sort();
const everything = async (): Promise<string[]> =>
  ((await get('patient', '/fhir/Patient/p1/$everything?_count=1000')).body.entry ?? [])
    .map((e: { resource: { resourceType: string; id: string } }) => e.resource)
    .filter((r: { resourceType: string }) => r.resourceType === 'ImagingStudy').map((r: { id: string }) => r.id).sort();

beforeAll(async () => {
  a = await createAccessApp();
  await loadFixture(a.service);
  for (const [name, mint] of Object.entries(WHO)) tokens[name] = await a.token(mint);
  const ctx = systemContext();
  // s1: its report is MASQUE_PS. s2: its report is plain (the patient masks it later). s3: two reports, the older
  // plain, the newer MASQUE_PS. s4: named by no document. s5: named only by the DiagnosticReport extracted from its
  // MASQUE_PS report.
  for (const resource of [
    legacyStudy('s1', '1.1'), report('img1', 's1', ['MASQUE_PS']),
    legacyStudy('s2', '2.1'), report('img2', 's2'),
    legacyStudy('s3', '3.1'), report('img3a', 's3'), report('img3b', 's3', ['MASQUE_PS']),
    legacyStudy('s4', '4.1'),
    legacyStudy('s5', '5.1'), report('img5', '', ['MASQUE_PS']), diagnosticReport('dr5', 'img5', 's5'),
  ]) await a.service.repo.update(ctx, resource);
}, 120_000);
afterAll(() => a.close());

test('before the migration, the study of a masked report is readable by an authorised professional (the legacy shape)', async () => {
  const { rows } = await a.testDb.db.query<{ id: string; compartment: string | null; doc_id: string | null }>(
    sql`SELECT id, compartment, doc_id FROM resource WHERE type = 'ImagingStudy' ORDER BY id`,
  );
  expect(rows).toEqual(['s1', 's2', 's3', 's4', 's5'].map((id) => ({ id, compartment: 'p1', doc_id: null })));
  expect(await status('spec', 's1')).toBe(200);
});

test('migration 206 makes each study its report\'s: hidden with it from an authorised professional, still the treating physician\'s and in the patient\'s $everything', async () => {
  await a.testDb.db.query(sql`DELETE FROM schema_migration WHERE name = ${MIGRATION}`);
  expect(await migrate(a.testDb.db)).toEqual([MIGRATION]);

  const { rows } = await a.testDb.db.query<{ id: string; doc_id: string | null }>(sql`SELECT id, doc_id FROM resource WHERE type = 'ImagingStudy' ORDER BY id`);
  expect(rows).toEqual([{ id: 's1', doc_id: 'img1' }, { id: 's2', doc_id: 'img2' }, { id: 's3', doc_id: 'img3a' }, { id: 's4', doc_id: null }, { id: 's5', doc_id: 'img5' }]);

  // s1 and s5 follow their MASQUE_PS report; s3 the MASQUE_PS of one of its two reports (fail closed); s2 and s4 stay
  // readable.
  expect(await studiesFound('spec')).toEqual(['s2', 's4']);
  expect(await status('spec', 's1')).toBe(404);
  expect(await status('spec', 's3')).toBe(404);
  expect(await status('spec', 's5')).toBe(404);
  expect(await studiesFound('gp')).toEqual(['s1', 's2', 's3', 's4', 's5']);
  expect(await everything()).toEqual(['s1', 's2', 's3', 's4', 's5']);

  // Its text now says whose it is, so a later write derives the same document (and only a replacement changes it).
  const s1 = (await get('gp', '/fhir/ImagingStudy/s1')).body;
  expect(s1.resourceType).toBe('ImagingStudy');
  expect(s1.extension).toEqual([{ url: 'https://dmp-fhir-adapter.org/fhir/StructureDefinition/source-document', valueReference: { reference: 'DocumentReference/img1' } }]);
  expect(s1.procedureCode[0].coding[0].code).toBe('ZBQK002');
});

test('after it, the patient\'s Consent masking a report hides its study too', async () => {
  expect(await status('spec', 's2')).toBe(200);
  const mask = await request(a.app).post('/fhir/Consent').set('Authorization', `Bearer ${tokens.patient}`).set('Content-Type', 'application/fhir+json')
    .send(JSON.stringify({ ...consent('x', 'p1', { type: 'deny', data: maskDoc('img2') }), id: undefined }));
  expect(mask.status).toBe(201);
  expect(await status('spec', 's2')).toBe(404);
  expect(await studiesFound('spec')).toEqual(['s4']);
  expect(await everything()).toEqual(['s1', 's2', 's3', 's4', 's5']);
});

test('actors outside the record see none of the studies, before or after', async () => {
  expect(await studiesFound('other')).toEqual([]);
  for (const id of ['s1', 's2', 's3', 's4', 's5']) expect(await status('other', id)).toBe(404);
  const feeder = await get('feeder', '/fhir/ImagingStudy?patient=Patient/p1');
  expect(feeder.body.entry ?? []).toEqual([]);
  expect([403, 404]).toContain((await get('feeder', '/fhir/ImagingStudy/s1')).status);
});

test('the migration is idempotent: run again, it changes nothing', async () => {
  const before = await a.testDb.db.query(sql`SELECT id, doc_id, security, text FROM resource WHERE type = 'ImagingStudy' ORDER BY id`);
  await a.testDb.db.query(sql`DELETE FROM schema_migration WHERE name = ${MIGRATION}`);
  await migrate(a.testDb.db);
  const after = await a.testDb.db.query(sql`SELECT id, doc_id, security, text FROM resource WHERE type = 'ImagingStudy' ORDER BY id`);
  expect(after.rows).toEqual(before.rows);
});
