import request from 'supertest';
import { createTestApp, FHIR_JSON, type TestApp } from '../support/test-app';

let t: TestApp;
const ids: Record<string, string> = {};

async function create(body: Record<string, unknown>): Promise<string> {
  const res = await request(t.app).post(`/fhir/${String(body.resourceType)}`).set('Content-Type', FHIR_JSON).send(body);
  expect(res.status).toBe(201);
  return res.body.id;
}

async function search(query: string, prefer?: string) {
  const req = request(t.app).get(`/fhir/${query}`);
  if (prefer) req.set('Prefer', prefer);
  return req;
}

function idsOf(bundle: { entry?: { resource: { id: string }; search: { mode: string } }[] }, mode = 'match'): string[] {
  return (bundle.entry ?? []).filter((e) => e.search.mode === mode).map((e) => e.resource.id).sort();
}

const INS = 'urn:oid:1.2.250.1.213.1.4.10';

beforeAll(async () => {
  t = await createTestApp();
  ids.elodie = await create({ resourceType: 'Patient', identifier: [{ system: INS, value: '279035121518989' }], name: [{ family: 'Dupré', given: ['Élodie', 'Marie'] }], gender: 'female', birthDate: '1979-03-21' });
  ids.jean = await create({ resourceType: 'Patient', identifier: [{ system: INS, value: '180012B01234593' }], name: [{ family: 'Durand', given: ['Jean'] }], gender: 'male', birthDate: '1980-01' });
  ids.nobirth = await create({ resourceType: 'Patient', name: [{ family: 'Sans Date' }], gender: 'unknown' });
  ids.author = await create({ resourceType: 'Practitioner', identifier: [{ system: 'urn:oid:1.2.250.1.71.4.2.1', value: '801234534765' }], name: [{ family: 'Martin' }] });
  const doc = (patient: string, type: string, date: string, extra: Record<string, unknown> = {}) => ({
    resourceType: 'DocumentReference',
    status: 'current',
    type: { coding: [{ system: 'http://loinc.org', code: type }] },
    category: [{ coding: [{ system: 'urn:oid:1.2.250.1.213.1.1.4.1', code: '10' }] }],
    subject: { reference: `Patient/${patient}` },
    author: [{ reference: `Practitioner/${ids.author}` }],
    date,
    content: [{ attachment: { contentType: 'application/pdf', url: 'Binary/x' } }],
    ...extra,
  });
  ids.lab = await create(doc(ids.elodie, '11502-2', '2024-01-15T10:00:00+01:00', { masterIdentifier: { system: 'urn:ietf:rfc:3986', value: 'urn:oid:1.2.250.1.213.1.1.1.55.2024.9.1' }, context: { period: { start: '2024-01-04', end: '2024-01-05' } } }));
  ids.letter = await create(doc(ids.elodie, '11490-0', '2019-12-03T13:30:00+01:00', { context: { period: { start: '2019-10-29' } } }));
  ids.img = await create(doc(ids.jean, '18748-4', '2024-06-01T08:00:00Z', { status: 'superseded' }));
  ids.obs = await create({ resourceType: 'Observation', status: 'final', code: { coding: [{ system: 'http://loinc.org', code: '3016-3' }] }, subject: { reference: `Patient/${ids.elodie}` }, valueQuantity: { value: 2.5, unit: 'mUI/L', system: 'http://unitsofmeasure.org', code: 'm[IU]/L' }, effectiveDateTime: '2021-04-01' });
});
afterAll(async () => {
  await t.close();
});

describe('search parameter types', () => {
  it('matches strings by prefix, ignoring case and accents, and supports :exact and :contains', async () => {
    expect(idsOf((await search('Patient?family=dupre')).body)).toEqual([ids.elodie]);
    expect(idsOf((await search('Patient?given=elo')).body)).toEqual([ids.elodie]);
    expect(idsOf((await search('Patient?name=MARIE')).body)).toEqual([ids.elodie]);
    expect(idsOf((await search('Patient?family:exact=Dupre')).body)).toEqual([]);
    expect(idsOf((await search('Patient?family:exact=Dupré')).body)).toEqual([ids.elodie]);
    expect(idsOf((await search('Patient?family:contains=ura')).body)).toEqual([ids.jean]);
    expect(idsOf((await search('Patient?family=du,sans')).body)).toEqual([ids.elodie, ids.jean, ids.nobirth].sort());
  });

  it('matches tokens by system|code, code alone, |code, system|, with :not and :missing', async () => {
    expect(idsOf((await search(`Patient?identifier=${INS}|279035121518989`)).body)).toEqual([ids.elodie]);
    expect(idsOf((await search('Patient?identifier=279035121518989')).body)).toEqual([ids.elodie]);
    expect(idsOf((await search('Patient?identifier=other|279035121518989')).body)).toEqual([]);
    expect(idsOf((await search(`Patient?identifier=${INS}|`)).body)).toEqual([ids.elodie, ids.jean].sort());
    expect(idsOf((await search('Patient?gender=female,male')).body)).toEqual([ids.elodie, ids.jean].sort());
    expect(idsOf((await search('Patient?gender:not=female')).body)).toEqual([ids.jean, ids.nobirth].sort());
    expect(idsOf((await search('Patient?identifier:missing=true')).body)).toEqual([ids.nobirth]);
    expect(idsOf((await search('DocumentReference?type=http://loinc.org|11502-2')).body)).toEqual([ids.lab]);
  });

  it('compares dates with every prefix, partial dates as ranges', async () => {
    expect(idsOf((await search('Patient?birthdate=1979')).body)).toEqual([ids.elodie]);
    expect(idsOf((await search('Patient?birthdate=1979-03-21')).body)).toEqual([ids.elodie]);
    expect(idsOf((await search('Patient?birthdate=eq1980-01-15')).body)).toEqual([]);
    expect(idsOf((await search('Patient?birthdate=1980')).body)).toEqual([ids.jean]);
    expect(idsOf((await search('Patient?birthdate=lt1980')).body)).toEqual([ids.elodie]);
    expect(idsOf((await search('Patient?birthdate=ge1980-01-01')).body)).toEqual([ids.jean]);
    expect(idsOf((await search('Patient?birthdate=gt1979-12-31')).body)).toEqual([ids.jean]);
    expect(idsOf((await search('Patient?birthdate=le1979-03-21')).body)).toEqual([ids.elodie]);
    expect(idsOf((await search('Patient?birthdate=ne1979-03-21')).body)).toEqual([ids.jean]);
    expect(idsOf((await search('Patient?birthdate=sa1979-12-31')).body)).toEqual([ids.jean]);
    expect(idsOf((await search('Patient?birthdate=eb1980')).body)).toEqual([ids.elodie]);
    expect(idsOf((await search('Patient?birthdate:missing=true')).body)).toEqual([ids.nobirth]);
    expect(idsOf((await search('DocumentReference?date=ge2024-01-01&date=lt2024-02')).body)).toEqual([ids.lab]);
    expect(idsOf((await search('DocumentReference?date=2024-01-15T09:00:00Z')).body)).toEqual([ids.lab]);
    // An open-ended period (no end) extends to the future, so it also reaches past 2020.
    expect(idsOf((await search('DocumentReference?period=ge2020')).body)).toEqual([ids.lab, ids.letter].sort());
    expect(idsOf((await search('DocumentReference?period=eb2020')).body)).toEqual([]);
    expect(idsOf((await search('DocumentReference?period=gt2025')).body)).toEqual([ids.letter]);
  });

  it('matches references as Type/id, plain id, and with a type modifier', async () => {
    expect(idsOf((await search(`DocumentReference?patient=${ids.elodie}`)).body)).toEqual([ids.lab, ids.letter].sort());
    expect(idsOf((await search(`DocumentReference?subject=Patient/${ids.jean}`)).body)).toEqual([ids.img]);
    expect(idsOf((await search(`DocumentReference?subject:Patient=${ids.jean}`)).body)).toEqual([ids.img]);
    expect(idsOf((await search(`DocumentReference?author=Practitioner/${ids.author}&status=current`)).body)).toEqual([ids.lab, ids.letter].sort());
  });

  it('follows chains to the patient by INS, as IHE ITI-67 clients do', async () => {
    expect(idsOf((await search(`DocumentReference?patient.identifier=${INS}|279035121518989`)).body)).toEqual([ids.lab, ids.letter].sort());
    expect(idsOf((await search(`DocumentReference?subject:Patient.identifier=${INS}|180012B01234593`)).body)).toEqual([ids.img]);
    expect(idsOf((await search(`DocumentReference?identifier=urn:ietf:rfc:3986|urn:oid:1.2.250.1.213.1.1.1.55.2024.9.1`)).body)).toEqual([ids.lab]);
  });

  it('compares quantities with prefixes, units and precision', async () => {
    expect(idsOf((await search('Observation?value-quantity=2.5')).body)).toEqual([ids.obs]);
    expect(idsOf((await search('Observation?value-quantity=gt2|http://unitsofmeasure.org|m[IU]/L')).body)).toEqual([ids.obs]);
    expect(idsOf((await search('Observation?value-quantity=lt2')).body)).toEqual([]);
    expect(idsOf((await search('Observation?value-quantity=3')).body)).toEqual([ids.obs]);
    expect(idsOf((await search('Observation?value-quantity=2.5|http://unitsofmeasure.org|mg')).body)).toEqual([]);
  });
});

describe('parameters answered by the rows of others (combo-*, patient)', () => {
  beforeAll(async () => {
    const bp = (code: string, value: number) => ({ code: { coding: [{ system: 'http://loinc.org', code }] }, valueQuantity: { value, unit: 'mm[Hg]', system: 'http://unitsofmeasure.org', code: 'mm[Hg]' } });
    ids.panel = await create({ resourceType: 'Observation', status: 'final', code: { coding: [{ system: 'http://loinc.org', code: '85354-9' }] }, subject: { reference: `Patient/${ids.jean}` }, component: [bp('8480-6', 142), bp('8462-4', 91)] });
    // A group whose id is a patient's: a `patient` search must not take it for that patient.
    ids.groupObs = await create({ resourceType: 'Observation', status: 'final', code: { coding: [{ system: 'http://loinc.org', code: '3016-3' }] }, subject: { reference: `Group/${ids.jean}` } });
  });

  it('finds combo-code and combo-value-quantity values on the observation and on its components', async () => {
    expect(idsOf((await search('Observation?combo-code=http://loinc.org|85354-9')).body)).toEqual([ids.panel]);
    expect(idsOf((await search('Observation?combo-code=http://loinc.org|8480-6')).body)).toEqual([ids.panel]);
    expect(idsOf((await search('Observation?combo-code=3016-3')).body)).toEqual([ids.obs, ids.groupObs].sort());
    expect(idsOf((await search('Observation?combo-value-quantity=142')).body)).toEqual([ids.panel]);
    expect(idsOf((await search('Observation?combo-value-quantity=2.5')).body)).toEqual([ids.obs]);
    expect(idsOf((await search('Observation?combo-code:missing=true')).body)).toEqual([]);
  });

  it('matches patient on subjects that are Patients only, in filters, chains, :missing and includes', async () => {
    expect(idsOf((await search(`Observation?patient=${ids.jean}`)).body)).toEqual([ids.panel]);
    expect(idsOf((await search(`Observation?subject=Group/${ids.jean}`)).body)).toEqual([ids.groupObs]);
    expect(idsOf((await search('Observation?patient:missing=true')).body)).toEqual([ids.groupObs]);
    expect(idsOf((await search('Observation?patient.family=durand')).body)).toEqual([ids.panel]);
    const included = await search(`Observation?_id=${ids.panel},${ids.groupObs}&_include=Observation:patient`);
    expect(idsOf(included.body, 'include')).toEqual([ids.jean]);
    const reverse = await search(`Patient?_id=${ids.jean}&_revinclude=Observation:patient`);
    expect(idsOf(reverse.body, 'include')).toEqual([ids.panel]);
  });
});

describe('result parameters', () => {
  it('includes the subject and author, and reverse-includes documents of a patient', async () => {
    const res = await search(`DocumentReference?patient=${ids.elodie}&_include=DocumentReference:subject&_include=DocumentReference:author`);
    expect(res.body.total).toBe(2);
    expect(idsOf(res.body, 'include')).toEqual([ids.elodie, ids.author].sort());
    const rev = await search(`Patient?_id=${ids.elodie}&_revinclude=DocumentReference:subject`);
    expect(rev.body.total).toBe(1);
    expect(idsOf(rev.body, 'include')).toEqual([ids.lab, ids.letter].sort());
  });

  it('sorts by date, descending with -', async () => {
    const res = await search(`DocumentReference?_sort=-date`);
    expect(res.body.entry.map((e: { resource: { id: string } }) => e.resource.id)).toEqual([ids.img, ids.lab, ids.letter]);
    const asc = await search(`DocumentReference?_sort=date`);
    expect(asc.body.entry.map((e: { resource: { id: string } }) => e.resource.id)).toEqual([ids.letter, ids.lab, ids.img]);
  });

  it('counts with _summary=count and omits the total with _total=none', async () => {
    const count = await search('Patient?_summary=count');
    expect(count.body.total).toBe(3);
    expect(count.body.entry).toBeUndefined();
    const none = await search('Patient?_total=none');
    expect(none.body.total).toBeUndefined();
    expect(none.body.entry).toHaveLength(3);
  });

  it('filters on _id and _lastUpdated', async () => {
    expect(idsOf((await search(`Patient?_id=${ids.jean},${ids.nobirth}`)).body)).toEqual([ids.jean, ids.nobirth].sort());
    expect((await search('Patient?_lastUpdated=gt2000-01-01')).body.total).toBe(3);
    expect((await search('Patient?_lastUpdated=lt2000-01-01')).body.total).toBe(0);
  });

  it('searches by POST _search with a form body', async () => {
    const res = await request(t.app).post('/fhir/Patient/_search').set('Content-Type', 'application/x-www-form-urlencoded').send('family=durand');
    expect(res.status).toBe(200);
    expect(idsOf(res.body)).toEqual([ids.jean]);
  });
});

describe('unknown and invalid parameters', () => {
  it('ignores an unknown parameter and reports it in an OperationOutcome entry', async () => {
    const res = await search('Patient?foo=bar&gender=male');
    expect(res.status).toBe(200);
    expect(idsOf(res.body)).toEqual([ids.jean]);
    const outcome = res.body.entry.find((e: { search: { mode: string } }) => e.search.mode === 'outcome');
    expect(outcome.resource.issue[0].diagnostics).toMatch(/foo/);
  });

  it('refuses an unknown parameter with 400 under Prefer: handling=strict', async () => {
    const res = await search('Patient?foo=bar', 'handling=strict');
    expect(res.status).toBe(400);
    expect(res.body.issue[0].diagnostics).toMatch(/foo/);
  });

  it.each([
    'Patient?birthdate=yesterday',
    'Patient?birthdate=2024-13',
    'Observation?value-quantity=abc',
    'Patient?_count=-1',
    'Patient?_count=ten',
    'Patient?_sort=nonsense',
    'Patient?family:fuzzy=x',
    'Patient?identifier:missing=maybe',
    'Patient?_cursor=garbage',
    'DocumentReference?_include=Patient:subject',
    'Patient?_total=some',
  ])('answers 400 with an OperationOutcome for %s', async (query) => {
    const res = await search(query);
    expect(res.status).toBe(400);
    expect(res.body.resourceType).toBe('OperationOutcome');
  });
});
