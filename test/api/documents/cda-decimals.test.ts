import request from 'supertest';
import type { TestApp } from '../../support/test-app';
import { bundleResources, createDocumentsApp, createPatient, fixture, importCda, traitsOfDocument } from './documents-app';

// fixtures/cda/cr-bio-valeurs-numeriques.xml: fibrinogen 2.050 g/L, reference 2.00-4.00; CRP < 1.0 mg/L.
// JavaScript drops trailing zeros when JSON is parsed and written again: the served TEXT must keep them.
describe('decimals imported from a CDA document are served with their digits', () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await createDocumentsApp();
    await createPatient(app, [{ system: 'urn:oid:1.2.250.1.213.1.4.10', value: '172037512304522' }], traitsOfDocument(fixture('cda/cr-bio-valeurs-numeriques.xml')));
  });
  afterAll(() => app.close());

  it('serves fibrinogen 2.050 g/L with its 2.00-4.00 range, and CRP < 1.0, as written in the document', async () => {
    const imported = await importCda(app, fixture('cda/cr-bio-valeurs-numeriques.xml'));
    expect(imported.status).toBe(201);
    const observations = bundleResources(imported.body).filter((r) => r.resourceType === 'Observation');
    const texts = await Promise.all(observations.map(async (o) => (await request(app.app).get(`/fhir/Observation/${o.id}`).buffer(true)).text));
    const fibrinogen = texts.find((t) => t.includes('"3255-7"')) as string;
    expect(fibrinogen).toContain('"valueQuantity":{"value":2.050,"unit":"g/L"');
    expect(fibrinogen).toMatch(/"low":\{"value":2\.00,.*"high":\{"value":4\.00,/);
    expect(fibrinogen).not.toContain('decimal-lexical');
    const crp = texts.find((t) => t.includes('"1988-5"')) as string;
    expect(crp).toContain('"valueQuantity":{"value":1.0,"unit":"mg/L","system":"http://unitsofmeasure.org","code":"mg/L","comparator":"<"}');
  });

  it('finds the result by its value in a search, and serves the digits in the searchset too', async () => {
    const res = await request(app.app).get('/fhir/Observation').query({ code: 'http://loinc.org|3255-7', 'value-quantity': '2.05' }).buffer(true);
    expect(res.status).toBe(200);
    expect(res.body.total ?? res.body.entry?.length).toBe(1);
    expect(res.text).toContain('"value":2.050');
  });
});
