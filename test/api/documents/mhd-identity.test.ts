import request from 'supertest';
import type { DocumentReference } from '@medplum/fhirtypes';
import { FHIR_JSON, type TestApp } from '../../support/test-app';
import { createDocumentsApp, createPatient, fixture, MARCHAL_INS, provideBundle } from './documents-app';

/**
 * Issue 13 item 1 on the MHD channels: the CDA header's patient (recordTarget) must be the DocumentReference subject,
 * with agreeing traits. Hélène MARCHAL (fixtures/cda/cr-bio-thyroid-panel.xml, read from its recordTarget): INS
 * 1.2.250.1.213.1.4.10|286063306312356, IPP 1.2.250.1.999.3|IPP-7731, F, born 1986-06-14, birth name MARCHAL.
 */
const MARCHAL_TRAITS = { name: [{ use: 'official' as const, family: 'MARCHAL', given: ['Hélène'] }], gender: 'female' as const, birthDate: '1986-06-14' };
/** Élodie LEFÈVRE, female, born 1977-05-02: another record (valid test INS, key 25). */
const LEFEVRE_INS = { system: 'urn:oid:1.2.250.1.213.1.4.10', value: '277057511104225' };

let count = 0;

/** The thyroid panel with its own document id (each test writes a new document). */
function thyroidPanel(edits: [string, string][] = []): { bytes: Buffer; masterValue: string } {
  count += 1;
  const root = `1.2.250.1.999.1.1.8.${300 + count}`;
  let xml = fixture('cda/cr-bio-thyroid-panel.xml').toString('utf8').replace('<id root="1.2.250.1.999.1.1.8.1"/>', `<id root="${root}"/>`);
  for (const [from, to] of edits) {
    if (!xml.includes(from)) throw new Error(`fixture has no ${from}`);
    xml = xml.replace(from, to);
  }
  return { bytes: Buffer.from(xml), masterValue: `urn:oid:${root}` };
}

const diagnostics = (res: request.Response): string => (res.body.issue ?? []).map((i: { diagnostics?: string }) => i.diagnostics).join('; ');

describe('an MHD submission files a CDA only in the record of the patient its header names', () => {
  let app: TestApp;
  let marchal: string;
  let lefevre: string;
  beforeAll(async () => {
    app = await createDocumentsApp();
    marchal = await createPatient(app, [MARCHAL_INS], MARCHAL_TRAITS);
    lefevre = await createPatient(app, [LEFEVRE_INS], { name: [{ use: 'official', family: 'LEFEVRE', given: ['Élodie'] }], gender: 'female', birthDate: '1977-05-02' });
  });
  afterAll(() => app.close());

  const post = (path: string, body: object) => request(app.app).post(path).set('Content-Type', FHIR_JSON).send(body);
  const total = async (type: string, patient: string): Promise<number> =>
    (await request(app.app).get(`/fhir/${type}?patient=${patient}&_summary=count`)).body.total as number;

  it('files the thyroid panel sent by ITI-65 under Hélène MARCHAL in her record', async () => {
    const res = await post('/fhir', provideBundle(thyroidPanel(), `Patient/${marchal}`));
    expect(res.status).toBe(200);
    expect(await total('DocumentReference', marchal)).toBe(1);
  });

  it('refuses (422) Hélène MARCHAL\'s CDA sent by ITI-65 as a document of Élodie LEFÈVRE, and writes nothing in either record', async () => {
    const before = await total('Observation', marchal);
    const res = await post('/fhir', provideBundle(thyroidPanel(), `Patient/${lefevre}`));
    expect(res.status).toBe(422);
    expect(diagnostics(res)).toContain('1.2.250.1.213.1.4.10|286063306312356');
    expect(diagnostics(res)).toContain(`is not the DocumentReference subject Patient/${lefevre}`);
    expect(await total('DocumentReference', lefevre)).toBe(0);
    expect(await total('Observation', lefevre)).toBe(0);
    expect(await total('Observation', marchal)).toBe(before);
  });

  it('refuses (422) the same mismatch through a conditional subject (Patient?identifier=<other INS>)', async () => {
    const res = await post('/fhir', provideBundle(thyroidPanel(), `Patient?identifier=${LEFEVRE_INS.system}|${LEFEVRE_INS.value}`));
    expect(res.status).toBe(422);
    expect(await total('DocumentReference', lefevre)).toBe(0);
  });

  it('refuses (422) a CDA whose INS is the subject\'s but whose birth date is not, naming the trait', async () => {
    const res = await post('/fhir', provideBundle(thyroidPanel([['<birthTime value="19860614"/>', '<birthTime value="19770502"/>']]), `Patient/${marchal}`));
    expect(res.status).toBe(422);
    expect(diagnostics(res)).toContain('birthDate: document 1977-05-02, not the record\'s');
  });

  it('refuses (422) Hélène MARCHAL\'s CDA published by ITI-105 into Élodie LEFÈVRE\'s record', async () => {
    const cda = thyroidPanel();
    const published: DocumentReference = {
      resourceType: 'DocumentReference', status: 'current',
      masterIdentifier: { system: 'urn:ietf:rfc:3986', value: cda.masterValue },
      subject: { reference: `Patient/${lefevre}` },
      content: [{ attachment: { contentType: 'text/xml', data: cda.bytes.toString('base64') } }],
    };
    const res = await post('/fhir/DocumentReference', published);
    expect(res.status).toBe(422);
    expect(diagnostics(res)).toContain(`is not the DocumentReference subject Patient/${lefevre}`);
    expect(await total('DocumentReference', lefevre)).toBe(0);
  });
});
