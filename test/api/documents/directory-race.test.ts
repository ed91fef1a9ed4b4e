import request from 'supertest';
import { FHIR_JSON, type TestApp } from '../../support/test-app';
import { createDocumentsApp, createFrenchTestPatient, fixture, importCda, provideBundle } from './documents-app';

/**
 * Issue 13 item 8 under concurrency: a professional no directory entry names yet, named by documents arriving at the same
 * time (ITI-65 and $import), becomes one Practitioner (matched by IdNat_PS). fixtures/cda/lab-report-two-results.xml:
 * author IdNat_PS 801234534765 (root 1.2.250.1.71.4.2.1), here changed to a new one per round, document ids changed.
 */
const documentNaming = (idNat: string, n: number) => ({
  bytes: Buffer.from(fixture('cda/lab-report-two-results.xml').toString('utf8').split('extension="801234534765"').join(`extension="${idNat}"`).replace('<id root="1.2.250.1.999.1.1.7.1"/>', `<id root="1.2.250.1.999.1.1.9.${n}"/>`)),
  masterValue: `urn:oid:1.2.250.1.999.1.1.9.${n}`,
});

describe('a new professional named by concurrent submissions', () => {
  let app: TestApp;
  let patient: string;
  beforeAll(async () => {
    app = await createDocumentsApp();
    patient = await createFrenchTestPatient(app);
  });
  afterAll(() => app.close());

  const practitioners = async (idNat: string): Promise<number> => {
    const res = await request(app.app).get('/fhir/Practitioner').query({ identifier: `urn:oid:1.2.250.1.71.4.2.1|${idNat}` });
    return (res.body.entry ?? []).length;
  };

  it('is one Practitioner when two ITI-65 submissions name him at once', async () => {
    for (const [round, idNat] of ['899900000001', '899900000002', '899900000003'].entries()) {
      const post = (n: number) => request(app.app).post('/fhir').set('Content-Type', FHIR_JSON).send(provideBundle(documentNaming(idNat, n), `Patient/${patient}`));
      const answers = await Promise.all([post(round * 10 + 1), post(round * 10 + 2)]);
      expect(answers.map((a) => [a.status, JSON.stringify(a.body.issue ?? '')])).toEqual([[200, '""'], [200, '""']]);
      expect(await practitioners(idNat)).toBe(1);
    }
  });

  it('is one Practitioner when an ITI-65 submission and a $import name him at once', async () => {
    for (const [round, idNat] of ['899900000011', '899900000012', '899900000013'].entries()) {
      const [submitted, imported] = await Promise.all([
        request(app.app).post('/fhir').set('Content-Type', FHIR_JSON).send(provideBundle(documentNaming(idNat, 100 + round * 10 + 1), `Patient/${patient}`)),
        importCda(app, documentNaming(idNat, 100 + round * 10 + 2).bytes),
      ]);
      expect([submitted.status, imported.status]).toEqual([200, 201]);
      expect(await practitioners(idNat)).toBe(1);
    }
  });
});
