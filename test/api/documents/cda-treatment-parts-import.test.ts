import type { TestApp } from '../../support/test-app';
import { createDocumentsApp, createPatient, fixture, importCda, searchResources, traitsOfDocument } from './documents-app';

// fixtures/cda/vsm-rencontres-traitements-si-besoin.xml (Lucien ESSAI-MOCK, INS 181027512304550) imported through the
// API and read back as an app would. Expected facts are those of its header comment: a paracetamol taken only "en cas
// de douleur", at most 4 tablets a day, was served as a regular dose with no cap; an aborted stay as finished, a
// suspended one as finished; a phase "from 1 June for 5 days" as "5 days" with no date.
describe('a treatment taken "if needed", encounter statuses and dated phases are served as the document states them', () => {
  let app: TestApp;
  const search = (type: string, query: Record<string, string>) => searchResources(app, type, query);
  beforeAll(async () => {
    app = await createDocumentsApp();
    const xml = fixture('cda/vsm-rencontres-traitements-si-besoin.xml');
    await createPatient(app, [{ system: 'urn:oid:1.2.250.1.213.1.4.10', value: '181027512304550' }], traitsOfDocument(xml));
    const res = await importCda(app, xml);
    expect(res.status).toBe(201);
  });
  afterAll(() => app.close());

  it('serves the paracetamol as taken "en cas de douleur", at most 4 tablets a day', async () => {
    const [med] = await search('MedicationStatement', { code: 'N02BE01' });
    expect(med.dosage).toHaveLength(1);
    expect(med.dosage[0].asNeededCodeableConcept).toEqual({ text: 'en cas de douleur' });
    expect(med.dosage[0].maxDosePerPeriod.numerator.value).toBe(4);
    expect(med.dosage[0].maxDosePerPeriod.denominator).toMatchObject({ value: 1, code: 'd' });
  });

  it('serves the aborted stay as unknown and the suspended one as on leave, never finished', async () => {
    const stays = await search('Encounter', { class: 'IMP' });
    expect(stays.map((e: any) => [e.period.start, e.status]).sort()).toEqual([['2025-05-01', 'unknown'], ['2025-05-10', 'onleave']]);
  });

  it('serves each prednisolone phase with its dates: 1–5 June, then 6–10 June', async () => {
    const [med] = await search('MedicationStatement', { code: 'H02AB06' });
    expect(med.dosage.map((d: any) => [d.sequence, d.timing.repeat.boundsPeriod])).toEqual([
      [1, { start: '2025-06-01', end: '2025-06-05' }],
      [2, { start: '2025-06-06', end: '2025-06-10' }],
    ]);
  });
});
