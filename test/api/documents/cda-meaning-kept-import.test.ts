import type { TestApp } from '../../support/test-app';
import { createDocumentsApp, createPatient, fixture, importCda, searchResources, traitsOfDocument } from './documents-app';

// Three fixtures of Yvonne TESTARD-ESSAI (INS 172037512304522), imported through the API and read back as an app would:
// dose schedules (vsm-doses-progressives.xml), where vaccinations come from (vac-origine-des-vaccinations.xml),
// uncertainty, statuses and units (vsm-incertitudes-statuts.xml). Expected facts are those of their header comments.
describe('what a CDA states is served as stated: phases, sources, uncertainty, units', () => {
  let app: TestApp;
  const search = (type: string, query: Record<string, string>) => searchResources(app, type, query);
  beforeAll(async () => {
    app = await createDocumentsApp();
    await createPatient(app, [{ system: 'urn:oid:1.2.250.1.213.1.4.10', value: '172037512304522' }], traitsOfDocument(fixture('cda/vsm-doses-progressives.xml')));
    for (const file of ['vsm-doses-progressives.xml', 'vac-origine-des-vaccinations.xml', 'vsm-incertitudes-statuts.xml']) {
      expect((await importCda(app, fixture(`cda/${file}`))).status).toBe(201);
    }
  });
  afterAll(() => app.close());

  it('serves a tapered prednisolone as two phases: 1 tablet 1-5 June, then ½ tablet 6-10 June', async () => {
    const [med] = await search('MedicationStatement', { code: 'H02AB06' });
    expect(med.dosage.map((d: any) => [d.sequence, d.doseAndRate[0].doseQuantity.value, d.timing.repeat.boundsPeriod.start, d.timing.repeat.boundsPeriod.end]))
      .toEqual([[1, 1, '2025-06-01', '2025-06-05'], [2, 0.5, '2025-06-06', '2025-06-10']]);
    const [flattened] = await search('MedicationStatement', { code: 'H02AB07' });
    expect(flattened.dosage).toEqual([{ text: 'Prednisone 20 mg : 1 comprimé par jour pendant 5 jours puis 1/2 comprimé par jour pendant 5 jours' }]);
  });

  it('serves a vaccination the mother remembered as not a primary record, and claims none where nothing is stated', async () => {
    const [mmr] = await search('Immunization', { 'vaccine-code': '03' });
    expect(mmr.primarySource).toBe(false);
    expect(mmr.reportOrigin.coding[0].code).toBe('recall');
    const [bcg] = await search('Immunization', { 'vaccine-code': '19' });
    expect(bcg.primarySource).toBeUndefined();
    const [dtp] = await search('Immunization', { 'vaccine-code': '115' });
    expect(dtp.primarySource).toBe(true);
    expect(await search('Immunization', { 'vaccine-code': '09' })).toEqual([]);
  });

  it('serves a suspected coeliac disease as unconfirmed, and no ferritin "to be confirmed"', async () => {
    const [condition] = await search('Condition', { code: '396331005' });
    expect(condition.verificationStatus.coding[0].code).toBe('unconfirmed');
    expect(await search('Condition', { code: '44054006' })).toEqual([]);
    expect(await search('Condition', { code: '38341003' })).toEqual([]); // pb-3: the observation was cancelled
    expect(await search('Observation', { code: '2276-4' })).toEqual([]);
  });

  it('serves "mEq/L" as the document\'s text without a UCUM code', async () => {
    const [potassium] = await search('Observation', { code: '2823-3' });
    expect(potassium.valueQuantity).toEqual({ value: 4.1, unit: 'mEq/L' });
  });
});
