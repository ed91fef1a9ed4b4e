import request from 'supertest';
import type { DocumentReference, Resource } from '@medplum/fhirtypes';
import type { TestApp } from '../../support/test-app';
import { planCdaImport } from '../../../src/cda';
import { bundleResources, createDocumentsApp, createPatient, fixture, importCda, traitsOfDocument } from './documents-app';

/**
 * A replaced document retires every type its import produced (retire-extracted.ts), end to end: each fixture is filed,
 * then a version 2 of it (new ClinicalDocument/id, relatedDocument RPLC of the first) is imported, and every resource
 * extracted from version 1 must be out of the active lists. Types per fixture, from its XML: vsm-sections-cliniques
 * (vital signs, procedure, immunization, encounter), edisp-deux-delivrances (two dispensations), cr-bio-microbiologie
 * (specimen, results, report), cr-img-thorax (the study it reports on, report), vsm-statuts-cliniques (treatment,
 * allergy, problem), prescription-deux-lignes (two prescription lines). The ImagingStudy of cr-img-thorax is the
 * document's own (masked and retired with it); version 2 reports on the same study (DICOM Study Instance UID) and
 * files its own ImagingStudy of that UID, `available` (tested below).
 */
const CASES: [string, string[]][] = [
  ['vsm-sections-cliniques.xml', ['Observation', 'Procedure', 'Immunization', 'Encounter']],
  ['edisp-deux-delivrances.xml', ['MedicationDispense']],
  ['cr-bio-microbiologie.xml', ['Specimen', 'Observation', 'DiagnosticReport']],
  ['cr-img-thorax.xml', ['ImagingStudy', 'DiagnosticReport']],
  ['vsm-statuts-cliniques.xml', ['MedicationStatement', 'AllergyIntolerance', 'Condition']],
  ['prescription-deux-lignes.xml', ['MedicationRequest']],
];

/** Version 2 of a fixture: its document id given an extension, and a relatedDocument RPLC naming version 1. */
function versionTwo(xml: string): Buffer {
  const header = xml.slice(xml.indexOf('<ClinicalDocument'));
  const id = /<id\s[^>]*?\/>/.exec(header)?.[0] as string;
  const root = /root="([^"]+)"/.exec(id)?.[1] as string;
  const ext = /extension="([^"]+)"/.exec(id)?.[1];
  const v2Id = `<id root="${root}" extension="${ext ?? ''}v2"/>`;
  const relation = `<relatedDocument typeCode="RPLC"><parentDocument>${id}</parentDocument></relatedDocument>`;
  const withId = xml.replace(id, v2Id);
  const at = /<componentOf[\s>]/.exec(withId) ?? /<component[\s>]/.exec(withId);
  if (!at) throw new Error('no componentOf or component');
  return Buffer.from(withId.slice(0, at.index) + relation + withId.slice(at.index));
}

const retired = (r: Resource & { status?: string; verificationStatus?: { coding?: { code?: string }[] } }) =>
  (r.status === 'entered-in-error' || r.verificationStatus?.coding?.[0]?.code === 'entered-in-error') && !!r.meta?.tag?.some((t) => t.code === 'superseded-by-replacement');

describe('a replaced document retires every resource extracted from it, whatever its type', () => {
  let app: TestApp;
  const opened = new Set<string>();
  beforeAll(async () => {
    app = await createDocumentsApp();
  });
  /** The record of the fixture's patient (its INS, birth date, sex and birth name), opened once. */
  const openRecordOf = async (bytes: Buffer): Promise<void> => {
    const ins = planCdaImport(bytes).patientIdentifiers.slice(0, 1);
    const key = `${ins[0].system}|${ins[0].value}`;
    if (opened.has(key)) return;
    opened.add(key);
    await createPatient(app, ins, traitsOfDocument(bytes));
  };
  afterAll(() => app.close());

  it.each(CASES)('%s', async (file, types) => {
    const xml = fixture(`cda/${file}`).toString('utf8');
    await openRecordOf(Buffer.from(xml));
    const first = await importCda(app, Buffer.from(xml));
    expect([first.status, first.status === 201 ? '' : JSON.stringify(first.body)]).toEqual([201, '']);
    const v1 = bundleResources(first.body).find((r) => r.resourceType === 'DocumentReference') as unknown as DocumentReference;
    const extracted = bundleResources(first.body).filter((r) => types.includes(r.resourceType as string));
    expect([...new Set(extracted.map((r) => r.resourceType))].sort()).toEqual([...types].sort());
    const second = await importCda(app, versionTwo(xml));
    expect([second.status, second.status === 201 ? '' : JSON.stringify(second.body)]).toEqual([201, '']);
    expect((await request(app.app).get(`/fhir/DocumentReference/${v1.id}`)).body.status).toBe('superseded');
    for (const r of extracted) {
      const now = (await request(app.app).get(`/fhir/${r.resourceType}/${r.id}`)).body as Resource;
      expect([`${r.resourceType}/${r.id}`, retired(now as never)]).toEqual([`${r.resourceType}/${r.id}`, true]);
    }
  });

  it('leaves one available ImagingStudy of the study a replaced report was about (cr-img-thorax above): the replacement\'s', async () => {
    const studies: { status: string; identifier: { system: string; value: string }[] }[] = ((await request(app.app).get('/fhir/ImagingStudy')).body.entry ?? []).map((e: { resource: unknown }) => e.resource);
    expect(studies.map((s) => s.status).sort()).toEqual(['available', 'entered-in-error']);
    const uids = studies.map((s) => s.identifier.find((i) => i.system === 'urn:dicom:uid')?.value);
    expect(new Set(uids).size).toBe(1);
    expect(uids[0]).toMatch(/^urn:oid:/);
  });
});
