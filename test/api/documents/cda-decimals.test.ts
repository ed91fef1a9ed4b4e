import request from 'supertest';
import type { TestApp } from '../../support/test-app';
import { bundleResources, createDocumentsApp, createPatient, fixture, importCda, provideBundle, traitsOfDocument } from './documents-app';

// fixtures/cda/cr-bio-valeurs-numeriques.xml: fibrinogen 2.050 g/L, reference 2.00-4.00; CRP < 1.0 mg/L.
// JavaScript drops trailing zeros when JSON is parsed and written again: the served TEXT must keep them.
describe('decimals imported from a CDA document are served with their digits', () => {
  let app: TestApp;
  let patient: string;
  beforeAll(async () => {
    app = await createDocumentsApp();
    patient = await createPatient(app, [{ system: 'urn:oid:1.2.250.1.213.1.4.10', value: '172037512304522' }], traitsOfDocument(fixture('cda/cr-bio-valeurs-numeriques.xml')));
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

  it('answers an import whose author is already known with the digits too (the known entries are joined without re-writing numbers)', async () => {
    // vsm-absences.xml is by the same author (IdNat_PS 810100099887) for the same patient: his Practitioner now exists.
    expect((await importCda(app, fixture('cda/vsm-absences.xml'))).status).toBe(201);
    const xml = fixture('cda/cr-bio-valeurs-numeriques.xml').toString('utf8')
      .replace(/extension="cr-bio-valeurs-numeriques"/, 'extension="cr-bio-valeurs-numeriques-2"');
    const res = await importCda(app, Buffer.from(xml));
    expect(res.status).toBe(201);
    expect(res.text).toMatch(/"status":"200 OK"/); // the known author entry is there
    expect(res.text).toContain('"valueQuantity":{"value":2.050,"unit":"g/L"');
    expect(res.text).toContain('"value":1.0,');
  });

  it('serves the digits of a CDA filed by ITI-65, and lists what was not represented in the answer', async () => {
    // vsm-absences.xml states "no known" facts: each is reported as not represented (issue 13 items 3 and 9).
    const xml = fixture('cda/vsm-absences.xml').toString('utf8').replace('extension="vsm-absences"', 'extension="vsm-absences-iti65"');
    const res = await request(app.app).post('/fhir').set('Content-Type', 'application/fhir+json')
      .send(provideBundle({ bytes: Buffer.from(xml), masterValue: 'urn:oid:1.2.250.1.999.1.1.20^vsm-absences-iti65' }, `Patient/${patient}`));
    expect(res.status).toBe(200);
    const outcome = res.body.entry[1].response.outcome;
    expect(outcome.resourceType).toBe('OperationOutcome');
    expect(outcome.issue.map((i: { diagnostics: string }) => i.diagnostics)).toContain('Entry s3.e1: states no known immunization; not represented');
    const numbers = fixture('cda/cr-bio-valeurs-numeriques.xml').toString('utf8').replace(/extension="cr-bio-valeurs-numeriques"/, 'extension="cr-bio-valeurs-numeriques-iti65"');
    const filed = await request(app.app).post('/fhir').set('Content-Type', 'application/fhir+json')
      .send(provideBundle({ bytes: Buffer.from(numbers), masterValue: 'urn:oid:1.2.250.1.999.1.1.20^cr-bio-valeurs-numeriques-iti65' }, `Patient/${patient}`));
    expect(filed.status).toBe(200);
    const document = filed.body.entry[1].response.location.split('/_history/')[0].split('/').slice(-2).join('/');
    const search = await request(app.app).get('/fhir/Observation').query({ code: 'http://loinc.org|3255-7', patient }).buffer(true);
    const fromDoc = (search.body.entry ?? []).filter((e: { resource: { extension?: { valueReference?: { reference?: string } }[] } }) =>
      e.resource.extension?.some((x) => x.valueReference?.reference === document));
    expect(fromDoc).toHaveLength(1);
    const text = (await request(app.app).get(`/fhir/Observation/${fromDoc[0].resource.id}`).buffer(true)).text;
    expect(text).toContain('"valueQuantity":{"value":2.050,"unit":"g/L"');
  });

  it('lists the warnings of a $import in the OperationOutcome of its DocumentReference entry, and again on the 200 re-import', async () => {
    const first = await importCda(app, fixture('cda/vsm-absences.xml'));
    expect(first.status).toBe(200); // imported by the test above
    const entry = first.body.entry.find((e: { response: { location: string } }) => e.response.location.includes('/DocumentReference/'));
    expect(first.headers.location).toBe(entry.response.location);
    expect(entry.resource.resourceType).toBe('DocumentReference');
    expect(entry.response.outcome.issue.map((i: { diagnostics: string }) => i.diagnostics)).toEqual(expect.arrayContaining([
      'Entry s2.e1: states no known medication; not represented',
      // The Problèmes section states "no known problem": an absence reported as such (issue 13 item 3), not lost content.
      'Entry s4.e1.r1: states no known problem; not represented',
    ]));
    expect(first.headers['x-import-warnings']).toBe(String(entry.response.outcome.issue.length));
  });
});
