import type { Resource } from '@medplum/fhirtypes';
import request from 'supertest';
import { SOURCE_DOCUMENT_URL } from '../../../src/store/derived-columns';
import { MAX_INCLUDE_ITERATIONS } from '../../../src/store/search-includes';
import { loadFixture, RPPS, systemContext } from './fixture';
import { createAccessApp, type AccessApp } from './harness';

// Issue 11: `_include:iterate` / `_revinclude:iterate` follow references level after level, each level's statement
// carrying the caller's access predicate, and only from what an earlier level returned: a resource the caller may not
// see is absent, and so is anything reachable only through it. The work is bounded (levels, MAX_INCLUDED in all).

const MAX_INCLUDED = 8;
const LAB = 'http://terminology.hl7.org/CodeSystem/observation-category|laboratory';
const [labSystem, labCode] = LAB.split('|');

const obs = (id: string, patient: string, members: string[] = [], extra: Record<string, unknown> = {}): Resource => ({
  resourceType: 'Observation', id, status: 'final', code: { text: id }, subject: { reference: `Patient/${patient}` },
  ...(members.length ? { hasMember: members.map((m) => ({ reference: `Observation/${m}` })) } : {}), ...extra,
} as Resource);
const fromDoc = (doc: string) => ({ extension: [{ url: SOURCE_DOCUMENT_URL, valueReference: { reference: `DocumentReference/${doc}` } }] });
const lab = { category: [{ coding: [{ system: labSystem, code: labCode }] }] };
const chain = (prefix: string, length: number, last?: Resource): Resource[] => Array.from({ length }, (_, i) =>
  obs(`${prefix}${i + 1}`, 'p1', i + 1 < length ? [`${prefix}${i + 2}`] : last ? [last.id as string] : []));

const rows: Resource[] = [
  // Panel of panels: panel-other → another patient's result; panel-hidden → a result of an INVISIBLE_PATIENT document,
  // which itself points at one of the patient's own results (reachable only through the hidden one).
  obs('p2-secret', 'p2'),
  obs('p1-behind', 'p1'),
  obs('d4-secret', 'p1', ['p1-behind'], fromDoc('d4')),
  obs('panel-other', 'p1', ['p2-secret']),
  obs('panel-hidden', 'p1', ['d4-secret']),
  obs('panel-of-panels', 'p1', ['panel-other', 'panel-hidden']),
  // Two hops to a result extracted from d2, masked from the authorised specialist by the patient's consent.
  obs('masked-leaf', 'p1', ['p1-after-mask'], fromDoc('d2')),
  obs('p1-after-mask', 'p1'),
  obs('mid', 'p1', ['masked-leaf']),
  obs('panel-masked', 'p1', ['mid']),
  // Laboratory root → vital sign → laboratory leaf: a laboratory-only app sees neither of the two below the root.
  obs('lab-root', 'p1', ['vital'], lab),
  obs('vital', 'p1', ['lab-leaf'], { category: [{ coding: [{ system: labSystem, code: 'vital-signs' }] }] }),
  obs('lab-leaf', 'p1', [], lab),
  // A cycle, a chain longer than the bound, the same with a last link to another patient, and a wide fan.
  obs('cyc-a', 'p1', ['cyc-b']),
  obs('cyc-b', 'p1', ['cyc-a']),
  ...chain('c', MAX_INCLUDE_ITERATIONS + 3),
  obs('h-beyond', 'p2'),
  ...chain('h', MAX_INCLUDE_ITERATIONS + 2, obs('h-beyond', 'p2')),
  obs('fan', 'p1', ['f1', 'f2', 'f3', 'f4', 'f5']),
  ...[1, 2, 3, 4, 5].flatMap((i) => [obs(`f${i}`, 'p1', [`g${i}`]), obs(`g${i}`, 'p1')]),
  // A dispense, its prescription, and the prescriber.
  { resourceType: 'MedicationRequest', id: 'mr1', status: 'active', intent: 'order', subject: { reference: 'Patient/p1' },
    medicationCodeableConcept: { text: 'amoxicilline' }, requester: { reference: 'Practitioner/gp' } } as Resource,
  { resourceType: 'MedicationDispense', id: 'md1', status: 'completed', subject: { reference: 'Patient/p1' },
    medicationCodeableConcept: { text: 'amoxicilline' }, authorizingPrescription: [{ reference: 'MedicationRequest/mr1' }] } as Resource,
  { resourceType: 'MedicationRequest', id: 'mr2', status: 'active', intent: 'order', subject: { reference: 'Patient/p2' },
    medicationCodeableConcept: { text: 'x' }, requester: { reference: 'Practitioner/spec' } } as Resource,
  { resourceType: 'MedicationDispense', id: 'md2', status: 'completed', subject: { reference: 'Patient/p1' },
    medicationCodeableConcept: { text: 'x' }, authorizingPrescription: [{ reference: 'MedicationRequest/mr2' }] } as Resource,
];

let a: AccessApp;
const tokens: Record<string, string> = {};

beforeAll(async () => {
  a = await createAccessApp({ config: { maxIncluded: MAX_INCLUDED } });
  await loadFixture(a.service);
  const ctx = systemContext();
  for (const r of rows) await a.service.repo.update(ctx, r);
  tokens.patient = await a.token({ kind: 'patient', id: 'p1' });
  tokens.gp = await a.token({ kind: 'practitioner', id: RPPS.gp });
  tokens.spec = await a.token({ kind: 'practitioner', id: RPPS.spec });
  tokens.labApp = await a.token({ kind: 'patient', id: 'p1', scope: `patient/Patient.rs patient/Observation.rs?category=${LAB}` });
}, 180_000);
afterAll(() => a.close());

type Body = { entry?: { resource: { id: string; resourceType: string; issue?: { code: string; diagnostics: string }[] }; search: { mode: string } }[] };
const get = (who: string, query: string, headers: Record<string, string> = {}) =>
  request(a.app).get(`/fhir/${query}`).set('Authorization', `Bearer ${tokens[who]}`).set(headers);
const ids = (body: Body, mode = 'include') => (body.entry ?? []).filter((e) => e.search.mode === mode).map((e) => e.resource.id).sort();
const warnings = (body: Body) => (body.entry ?? []).filter((e) => e.search.mode === 'outcome').flatMap((e) => e.resource.issue ?? []);

describe('what :iterate follows (the treating physician sees the whole of p1)', () => {
  test('_include:iterate follows a panel of panels to its leaves, strict handling included', async () => {
    const res = await get('gp', 'Observation?_id=panel-of-panels&_include:iterate=Observation:has-member', { Prefer: 'handling=strict' });
    expect([res.status, ids(res.body, 'match')]).toEqual([200, ['panel-of-panels']]);
    expect(ids(res.body)).toEqual(['d4-secret', 'p1-behind', 'panel-hidden', 'panel-other']);
    expect(warnings(res.body)).toEqual([]);
  });

  test('without :iterate one level is included', async () => {
    const res = await get('gp', 'Observation?_id=panel-of-panels&_include=Observation:has-member');
    expect(ids(res.body)).toEqual(['panel-hidden', 'panel-other']);
  });

  test('MedicationDispense → its prescription → the prescriber, through an iterated _include of another type', async () => {
    const res = await get('gp', 'MedicationDispense?_id=md1&_include=MedicationDispense:prescription&_include:iterate=MedicationRequest:requester');
    expect([res.status, ids(res.body)]).toEqual([200, ['gp', 'mr1']]);
    const once = await get('gp', 'MedicationDispense?_id=md1&_include=MedicationDispense:prescription&_include=MedicationRequest:requester');
    expect(once.status).toBe(400);
  });

  test('_revinclude:iterate climbs from a leaf to every panel above it', async () => {
    const res = await get('gp', 'Observation?_id=p1-after-mask&_revinclude:iterate=Observation:has-member');
    expect([res.status, ids(res.body)]).toEqual([200, ['masked-leaf', 'mid', 'panel-masked']]);
  });

  test(':recurse is read as R3\'s name of :iterate; another modifier answers 400 naming it', async () => {
    const res = await get('gp', 'Observation?_id=panel-masked&_include:recurse=Observation:has-member');
    expect(ids(res.body)).toEqual(['masked-leaf', 'mid', 'p1-after-mask']);
    const bad = await get('gp', 'Observation?_id=panel-masked&_include:deep=Observation:has-member');
    expect([bad.status, bad.body.resourceType]).toEqual([400, 'OperationOutcome']);
    expect(bad.body.issue[0].diagnostics).toContain('_include:deep');
  });

  test('a cycle ends when a level adds nothing new, without a warning', async () => {
    const res = await get('gp', 'Observation?_id=cyc-a&_include:iterate=Observation:has-member');
    expect([res.status, ids(res.body), warnings(res.body)]).toEqual([200, ['cyc-b'], []]);
  });
});

describe('hidden is absent at every hop, and so is what lies only behind it', () => {
  test('the patient: neither another patient\'s result nor an INVISIBLE_PATIENT document\'s, nor what the latter points at', async () => {
    const res = await get('patient', 'Observation?_id=panel-of-panels&_include:iterate=Observation:has-member');
    expect([res.status, ids(res.body)]).toEqual([200, ['panel-hidden', 'panel-other']]);
    const rev = await get('patient', 'Observation?_id=p1-behind&_revinclude:iterate=Observation:has-member');
    expect([rev.status, ids(rev.body, 'match'), ids(rev.body)]).toEqual([200, ['p1-behind'], []]);
  });

  test('the authorised specialist: not the masked document\'s result two hops away, nor its member', async () => {
    const res = await get('spec', 'Observation?_id=panel-masked&_include:iterate=Observation:has-member');
    expect([res.status, ids(res.body)]).toEqual([200, ['mid']]);
    const rev = await get('spec', 'Observation?_id=p1-after-mask&_revinclude:iterate=Observation:has-member');
    expect([rev.status, ids(rev.body)]).toEqual([200, []]);
  });

  test('a laboratory-only SMART app: not the vital sign, nor the laboratory result behind it, nor another type', async () => {
    const res = await get('labApp', 'Observation?_id=lab-root&_include:iterate=Observation:has-member');
    expect([res.status, ids(res.body, 'match'), ids(res.body)]).toEqual([200, ['lab-root'], []]);
    const full = await get('patient', 'Observation?_id=lab-root&_include:iterate=Observation:has-member');
    expect(ids(full.body)).toEqual(['lab-leaf', 'vital']);
    const rev = await get('labApp', 'Observation?_id=lab-leaf&_revinclude:iterate=Observation:has-member');
    expect(ids(rev.body)).toEqual([]);
  });

  test('a dispense pointing at another patient\'s prescription: neither it nor its prescriber', async () => {
    const res = await get('patient', 'MedicationDispense?_id=md2&_include=MedicationDispense:prescription&_include:iterate=MedicationRequest:requester');
    expect([res.status, ids(res.body, 'match'), ids(res.body)]).toEqual([200, ['md2'], []]);
  });
});

describe('the work is bounded', () => {
  test(`${MAX_INCLUDE_ITERATIONS} iterations after the first level, then a warning in the Bundle`, async () => {
    const res = await get('gp', 'Observation?_id=c1&_include:iterate=Observation:has-member');
    expect(res.status).toBe(200);
    expect(ids(res.body)).toEqual(Array.from({ length: MAX_INCLUDE_ITERATIONS + 1 }, (_, i) => `c${i + 2}`));
    expect(warnings(res.body).map((i) => i.code)).toEqual(['incomplete']);
    expect(warnings(res.body)[0].diagnostics).toContain(`after ${MAX_INCLUDE_ITERATIONS} iterations`);
  });

  test('no warning when what lies beyond the bound is hidden from the caller (it must not tell it exists)', async () => {
    const res = await get('patient', 'Observation?_id=h1&_include:iterate=Observation:has-member');
    expect([res.status, ids(res.body), warnings(res.body)]).toEqual([200, ['h2', 'h3', 'h4', 'h5'], []]);
  });

  test('MAX_INCLUDED bounds the total of every level: 422 too-costly, not a cut page nor a 5xx', async () => {
    const one = await get('gp', 'Observation?_id=fan&_include=Observation:has-member');
    expect([one.status, ids(one.body).length]).toEqual([200, 5]);
    const res = await get('gp', 'Observation?_id=fan&_include:iterate=Observation:has-member');
    expect([res.status, res.body.issue?.[0].code]).toEqual([422, 'too-costly']);
    expect(res.body.issue[0].diagnostics).toContain('MAX_INCLUDED');
  });

  test('at most 20 _include/_revinclude parameters per search (400)', async () => {
    const many = Array.from({ length: 21 }, () => '_include:iterate=Observation:has-member').join('&');
    const res = await get('gp', `Observation?_id=c1&${many}`);
    expect([res.status, res.body.resourceType]).toEqual([400, 'OperationOutcome']);
  });
});

test('the CapabilityStatement says :iterate is supported and how far', async () => {
  const res = await request(a.app).get('/fhir/metadata');
  const observation = res.body.rest[0].resource.find((r: { type: string }) => r.type === 'Observation');
  expect(observation.documentation).toContain(':iterate');
  expect(observation.documentation).toContain(String(MAX_INCLUDE_ITERATIONS));
});
