import request from 'supertest';
import { INS_NIR, loadFixture, P1_INS, RPPS } from './fixture';
import { createAccessApp, type AccessApp } from './harness';
import { withInsKey } from './ins-values';

// Issue 12: two Patients could carry one INS (the README walkthrough run twice did it; a pharmacist or a blocked
// professional created a second record with someone's INS and made himself its treating physician).

let a: AccessApp;
const tokens: Record<string, string> = {};
const J = 'application/fhir+json';

beforeAll(async () => {
  a = await createAccessApp();
  await loadFixture(a.service);
  tokens.gp = await a.token({ kind: 'practitioner', id: RPPS.gp });
  tokens.pharmacist = await a.token({ kind: 'practitioner', id: '10000000077' });
  tokens.blocked = await a.token({ kind: 'practitioner', id: RPPS.blocked });
  tokens.p1 = await a.token({ kind: 'patient', id: 'p1' });
}, 120_000);
afterAll(() => a.close());

const patient = (ins: string, family = 'Marchal') => ({
  resourceType: 'Patient',
  identifier: [{ system: INS_NIR, value: ins }],
  name: [{ family, given: ['Hélène'] }],
  gender: 'female',
  birthDate: '1986-06-14',
});
const post = (token: string, body: object) =>
  request(a.app).post('/fhir/Patient').set('Authorization', `Bearer ${token}`).set('Content-Type', J).send(body);

test('twenty parallel creations of one INS give exactly one record: one 201 and nineteen 409', async () => {
  const ins = withInsKey('2860633063123');
  const answers = await Promise.all(Array.from({ length: 20 }, () => post(tokens.gp, patient(ins))));
  const statuses = answers.map((r) => r.status).sort();
  expect(statuses.filter((s) => s === 201)).toHaveLength(1);
  expect(statuses.filter((s) => s === 409)).toHaveLength(19);
  for (const r of answers.filter((x) => x.status === 409)) expect(r.body.resourceType).toBe('OperationOutcome');
  const { rows } = await a.testDb.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM record_ins WHERE ins = $1`, [ins]);
  expect(rows[0].n).toBe(1);
});

test('the README walkthrough run twice creates one Patient: the patient is told which record is already his', async () => {
  const ins = withInsKey('2860633063124');
  const token = await a.token({ kind: 'patient', id: ins });
  const first = await post(token, patient(ins));
  expect(first.status).toBe(201);
  const again = await post(token, patient(ins));
  expect(again.status).toBe(409);
  expect(again.body.issue[0].diagnostics).toContain(`Patient/${first.body.id}`);
  const found = await request(a.app).get(`/fhir/Patient?identifier=${INS_NIR}|${ins}`).set('Authorization', `Bearer ${token}`);
  expect(found.body.total).toBe(1);
});

test('a pharmacist creating a second record with someone\'s INS gets a neutral 409 that does not name the record', async () => {
  // (No treating physician named: a professional opening a record names none, 403 before any duplicate check.)
  const res = await post(tokens.pharmacist, patient(P1_INS, 'Martin'));
  expect(res.status).toBe(409);
  expect(res.body.issue[0].details.text).toBe('Un dossier existe déjà pour cette identité');
  expect(JSON.stringify(res.body)).not.toContain('p1');
  const { rows } = await a.testDb.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM resource WHERE type = 'Patient' AND content::text LIKE $1`, [`%${P1_INS}%`]);
  expect(rows[0].n).toBe(1);
});

test('a professional the patient blocked gets the same neutral 409', async () => {
  const res = await post(tokens.blocked, patient(P1_INS, 'Martin'));
  expect(res.status).toBe(409);
  expect(JSON.stringify(res.body)).not.toContain('Patient/p1');
});

test('the treating physician, who may read the existing record, is told which record carries the INS', async () => {
  const res = await post(tokens.gp, patient(P1_INS, 'Martin'));
  expect(res.status).toBe(409);
  expect(res.body.issue[0].diagnostics).toContain('Patient/p1');
});

test('the same INS under another INS system is the same person: 409', async () => {
  const res = await post(tokens.gp, { ...patient(P1_INS, 'Martin'), identifier: [{ system: 'urn:oid:1.2.250.1.213.1.4.10', value: P1_INS }] });
  expect(res.status).toBe(409);
});
