import type { Resource } from '@medplum/fhirtypes';
import { GP_RPPS, startPortalServer, type PortalServer } from '../portal/portal-harness';

// Issue 15: SMART v2 finer-grained scopes (`patient/Observation.rs?category=…|laboratory`). The query is compiled
// into the access predicate of the store query (src/access/scope-constraints.ts), so it bounds every hop — read,
// search and its total, _include/_revinclude, chains, _has, history, $everything — and writes stay inside it. A
// query outside the supported grammar grants nothing, never the whole type.

const OBS_CAT = 'http://terminology.hl7.org/CodeSystem/observation-category';
const LAB = `${OBS_CAT}|laboratory`;
const VITALS = `${OBS_CAT}|vital-signs`;
const COND_CAT = 'http://terminology.hl7.org/CodeSystem/condition-category';
const SNOMED = 'http://snomed.info/sct';
const LOINC = 'http://loinc.org';

const subject = { reference: 'Patient/helene' };
const obs = (id: string, category: string, code: string): Resource => ({
  resourceType: 'Observation', id, status: 'final', subject,
  category: [{ coding: [{ system: OBS_CAT, code: category }] }],
  code: { coding: [{ system: LOINC, code }] },
} as Resource);
const condition = (id: string, category: string, code: string): Resource => ({
  resourceType: 'Condition', id, subject,
  category: [{ coding: [{ system: COND_CAT, code: category }] }],
  code: { coding: [{ system: SNOMED, code }] },
} as Resource);
const document = (id: string, type: string, category: string): Resource => ({
  resourceType: 'DocumentReference', id, status: 'current', subject,
  type: { coding: [{ system: LOINC, code: type }] },
  category: [{ coding: [{ system: 'urn:oid:1.2.250.1.213.1.1.4.1', code: category }] }],
  content: [{ attachment: { contentType: 'text/plain', url: 'urn:uuid:0d4f6a1e-8a55-4a8c-9b1e-2f1a0c9d7e31' } }],
} as Resource);

let s: PortalServer;
/** Laboratory Observations of the imported CR-BIO report. */
let labIds: string[];

beforeAll(async () => {
  s = await startPortalServer();
  const imported = await s.importCda(await s.token({ kind: 'practitioner', id: GP_RPPS }), 'cr-bio-thyroid-panel.xml');
  if (imported.status !== 201) throw new Error(`import: ${imported.status}`);
  const full = await s.fhir(await as('patient/Observation.rs'), 'GET', `/Observation?category=${encodeURIComponent(LAB)}&_count=100`);
  labIds = full.body.entry.map((e: any) => e.resource.id);
  if (!labIds.length) throw new Error('the CR-BIO import gave no laboratory Observation');
  const ctx = s.systemContext();
  for (const resource of [
    obs('bp', 'vital-signs', '85354-9'),
    obs('lab-extra', 'laboratory', '2345-7'),
    condition('problem', 'problem-list-item', '44054006'),
    condition('diagnosis', 'encounter-diagnosis', '38341003'),
    document('letter', '11490-0', '11490-0'),
    document('imaging', '18748-4', '18748-4'),
    { resourceType: 'DiagnosticReport', id: 'mixed', status: 'final', subject, code: { text: 'mixed' },
      result: [{ reference: `Observation/${labIds[0]}` }, { reference: 'Observation/bp' }] } as Resource,
  ]) await s.server.service.repo.update(ctx, resource);
  labIds.push('lab-extra');
}, 180_000);
afterAll(() => s?.close());

const as = async (scope: string) => s.token({ kind: 'patient', id: 'helene', scope });
const labScope = `patient/Observation.rs?category=${LAB}`;
const ids = (body: any, type?: string) =>
  (body.entry ?? []).map((e: any) => e.resource).filter((r: any) => !type || r.resourceType === type).map((r: any) => r.id).sort();

test('the full Observation scope reads laboratory results and vital signs (the control)', async () => {
  const token = await as('patient/Observation.rs');
  expect((await s.fhir(token, 'GET', '/Observation/bp')).status).toBe(200);
  const all = await s.fhir(token, 'GET', '/Observation?_count=100');
  expect(all.body.total).toBe(labIds.length + 1);
});

describe('an app granted laboratory Observations only', () => {
  let token: string;
  beforeAll(async () => {
    token = await as(`patient/Patient.rs patient/DiagnosticReport.rs ${labScope}`);
  });

  test('reads a laboratory result; a vital sign answers 404 like a missing resource', async () => {
    expect((await s.fhir(token, 'GET', `/Observation/${labIds[0]}`)).status).toBe(200);
    const hidden = await s.fhir(token, 'GET', '/Observation/bp');
    const missing = await s.fhir(token, 'GET', '/Observation/no-such-observation');
    expect(hidden.status).toBe(404);
    expect(hidden.body.resourceType).toBe('OperationOutcome');
    expect(missing.status).toBe(404);
  });

  test('versions are not shown under a constrained scope (an old version is not checked against the query)', async () => {
    for (const path of ['/Observation/bp/_history/1', '/Observation/bp/_history', `/Observation/${labIds[0]}/_history/1`,
      `/Observation/${labIds[0]}/_history`, '/Observation/_history']) {
      const answer = await s.fhir(token, 'GET', path);
      expect({ path, status: answer.status, type: answer.body.resourceType }).toEqual({ path, status: 403, type: 'OperationOutcome' });
    }
    const system = await s.fhir(token, 'GET', '/_history?_count=1000');
    expect(system.status).toBe(200);
    expect(ids(system.body, 'Observation')).toEqual([]);
    expect(ids(system.body, 'DiagnosticReport')).toContain('mixed');
  });

  test('searches see laboratory results only, in the results and the total, on every page', async () => {
    const all = await s.fhir(token, 'GET', '/Observation?_count=2');
    expect(all.status).toBe(200);
    expect(all.body.total).toBe(labIds.length);
    const vitals = await s.fhir(token, 'GET', `/Observation?category=${encodeURIComponent(VITALS)}`);
    expect(vitals.body.total).toBe(0);
    const coded = await s.fhir(token, 'GET', '/Observation?code=85354-9');
    expect(coded.body.total).toBe(0);
  });

  test('_include, _revinclude, chains and _has do not reach a vital sign', async () => {
    const included = await s.fhir(token, 'GET', '/DiagnosticReport?_id=mixed&_include=DiagnosticReport:result');
    expect(ids(included.body, 'Observation')).toEqual([labIds[0]]);
    const revincluded = await s.fhir(token, 'GET', '/Patient?_id=helene&_revinclude=Observation:subject&_count=100');
    expect(ids(revincluded.body, 'Observation')).toEqual([...labIds].sort());
    const chained = await s.fhir(token, 'GET', `/DiagnosticReport?result.category=${encodeURIComponent(VITALS)}`);
    expect(chained.body.total).toBe(0);
    const reverse = await s.fhir(token, 'GET', '/Patient?_has:Observation:subject:code=85354-9');
    expect([reverse.status, reverse.body.total]).toEqual([200, 0]);
    // The same hops with the whole type reach it (the control).
    const wide = await as('patient/Patient.rs patient/DiagnosticReport.rs patient/Observation.rs');
    expect(ids((await s.fhir(wide, 'GET', '/DiagnosticReport?_id=mixed&_include=DiagnosticReport:result')).body, 'Observation')).toContain('bp');
    expect((await s.fhir(wide, 'GET', `/DiagnosticReport?result.category=${encodeURIComponent(VITALS)}`)).body.total).toBe(1);
    expect((await s.fhir(wide, 'GET', '/Patient?_has:Observation:subject:code=85354-9')).body.total).toBe(1);
  });

  test('$everything shows the laboratory results and no vital sign', async () => {
    const everything = await s.fhir(token, 'GET', '/Patient/helene/$everything?_count=1000');
    expect(everything.status).toBe(200);
    expect(ids(everything.body, 'Observation')).toEqual([...labIds].sort());
    expect(ids(everything.body, 'Condition')).toEqual([]);
  });
});

test('two constrained scopes of one type combine with OR, and a whole-type scope alongside wins', async () => {
  const both = await as(`${labScope} patient/Observation.rs?category=${VITALS}`);
  expect((await s.fhir(both, 'GET', '/Observation?_count=100')).body.total).toBe(labIds.length + 1);
  const wins = await as(`${labScope} patient/Observation.rs`);
  expect((await s.fhir(wins, 'GET', '/Observation/bp')).status).toBe(200);
  const star = await as(`${labScope} patient/*.rs`);
  expect((await s.fhir(star, 'GET', '/Observation/bp')).status).toBe(200);
});

test('a constrained scope never widens consent: a hidden document stays hidden', async () => {
  // The query narrows what the scope grants; consent (INVISIBLE_PATIENT, masking …) is ANDed, unchanged.
  const token = await as('patient/DocumentReference.rs?type=http://loinc.org|11490-0');
  const found = await s.fhir(token, 'GET', '/DocumentReference?_count=100');
  expect(ids(found.body)).toEqual(['letter']);
  const stranger = await s.token({ kind: 'practitioner', id: '10000000099', scope: 'user/DocumentReference.rs?type=http://loinc.org|11490-0' });
  expect((await s.fhir(stranger, 'GET', '/DocumentReference/letter')).status).toBe(404);
});

test.each([
  ['patient/Observation.rs?date=ge2020-01-01', 'a date parameter'],
  ['patient/Observation.rs?category:not=laboratory', 'a modifier'],
  ['patient/Observation.rs?subject.name=MARCHAL', 'a chain'],
  ['patient/Observation.rs?colour=red', 'an unknown parameter'],
  ['patient/Observation.rs?category=laboratory,vital-signs', 'an OR list'],
  ['patient/*.rs?category=laboratory', 'a wildcard type'],
])('an unsupported query (%s: %s) grants nothing at any hop', async (scope) => {
  const token = await as(`patient/Patient.rs patient/DiagnosticReport.rs ${scope}`);
  for (const path of [`/Observation/${labIds[0]}`, '/Observation?category=laboratory', '/Observation']) {
    const answer = await s.fhir(token, 'GET', path);
    expect(answer.status).toBe(403);
    expect(answer.body.resourceType).toBe('OperationOutcome');
  }
  const included = await s.fhir(token, 'GET', '/DiagnosticReport?_id=mixed&_include=DiagnosticReport:result');
  expect(ids(included.body, 'Observation')).toEqual([]);
  const everything = await s.fhir(token, 'GET', '/Patient/helene/$everything?_count=1000');
  expect(ids(everything.body, 'Observation')).toEqual([]);
});

describe('write letters with a constraint', () => {
  const vitalsWriter = `patient/Observation.cruds?category=${VITALS}`;
  const body = (category: string, id?: string) => {
    const { id: _drop, ...rest } = obs(id ?? 'x', category, '8867-4') as any;
    return id ? { ...rest, id } : rest;
  };

  test('creates inside the constraint; a resource outside it is refused with 403 and nothing written', async () => {
    const token = await as(vitalsWriter);
    const created = await s.fhir(token, 'POST', '/Observation', body('vital-signs'));
    expect(created.status).toBe(201);
    const refused = await s.fhir(token, 'POST', '/Observation', body('laboratory'));
    expect(refused.status).toBe(403);
    expect(refused.body.resourceType).toBe('OperationOutcome');
    const wide = await as('patient/Observation.rs');
    expect((await s.fhir(wide, 'GET', '/Observation?code=8867-4')).body.total).toBe(1);
  });

  test('updates that leave the constraint, or start outside it, are refused; delete follows the same rule', async () => {
    const token = await as(vitalsWriter);
    const created = await s.fhir(token, 'POST', '/Observation', body('vital-signs'));
    const id = created.body.id;
    expect((await s.fhir(token, 'PUT', `/Observation/${id}`, body('laboratory', id))).status).toBe(403);
    const kept = await s.fhir(token, 'PUT', `/Observation/${id}`, { ...body('vital-signs', id), status: 'amended' });
    expect(kept.status).toBe(200);
    const ownLab = await s.fhir(await as('patient/Observation.cruds'), 'POST', '/Observation', body('laboratory'));
    expect(ownLab.status).toBe(201);
    const outside = await s.fhir(token, 'PUT', `/Observation/${ownLab.body.id}`, body('vital-signs', ownLab.body.id));
    expect([403, 404]).toContain(outside.status);
    // A row outside the scope is absent for this app: its delete is the no-op delete of a missing resource.
    expect([200, 204, 404]).toContain((await s.fhir(token, 'DELETE', `/Observation/${ownLab.body.id}`)).status);
    const untouched = await s.fhir(await as('patient/Observation.rs'), 'GET', `/Observation/${ownLab.body.id}`);
    expect(untouched.status).toBe(200);
    expect(untouched.body.meta.versionId).toBe('1');
    expect(untouched.body.category[0].coding[0].code).toBe('laboratory');
    expect((await s.fhir(token, 'DELETE', `/Observation/${id}`)).status).toBe(200);
  });
});

// Every offered clinical type with a token category/code/type parameter used here: the constrained scope sees the
// matching resource and not the other one, by read, search and total.
test.each([
  ['Observation', `category=${LAB}`, 'lab-extra', 'bp'],
  ['Observation', 'code=http://loinc.org|85354-9', 'bp', 'lab-extra'],
  ['Condition', `category=${COND_CAT}|problem-list-item`, 'problem', 'diagnosis'],
  ['Condition', 'code=38341003', 'diagnosis', 'problem'],
  ['DocumentReference', 'type=http://loinc.org|18748-4', 'imaging', 'letter'],
  ['DocumentReference', 'category=11490-0', 'letter', 'imaging'],
])('%s?%s sees %s and not %s', async (type, query, seen, unseen) => {
  const token = await as(`patient/${type}.rs?${query}`);
  expect((await s.fhir(token, 'GET', `/${type}/${seen}`)).status).toBe(200);
  expect((await s.fhir(token, 'GET', `/${type}/${unseen}`)).status).toBe(404);
  const found = await s.fhir(token, 'GET', `/${type}?_count=100`);
  expect(ids(found.body)).toContain(seen);
  expect(ids(found.body)).not.toContain(unseen);
  expect(found.body.total).toBe(found.body.entry.length);
});
