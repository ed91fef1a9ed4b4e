import type { Patient } from '@medplum/fhirtypes';
import request from 'supertest';
import { sql } from '../../../src/store/sql';
import { INS_NIR } from './fixture';
import { createAccessApp, type AccessApp } from './harness';
import { withInsKey } from './ins-values';

// Issue 12, "creation channels, each tested: online by the patient (identity proven by a token whose INS matches)".
// The matching case was tested (consent-changes.test.ts); the attacker's cases were not: a patient token opening a
// record for another person's INS, or with no INS to prove anything, is refused and writes nothing.

let a: AccessApp;
const OWN_INS = withInsKey('1990975123456');
const OTHER_INS = withInsKey('2990975123457');
const patient = (ins: string): Patient => ({ resourceType: 'Patient', identifier: [{ system: INS_NIR, value: ins }], name: [{ family: 'ENLIGNE' }], gender: 'male', birthDate: '1999-09-09' });
const create = (token: string, body: Patient) => request(a.app).post('/fhir/Patient').set('Authorization', `Bearer ${token}`).set('Content-Type', 'application/fhir+json').send(body);
const patients = async () => (await a.testDb.db.query<{ n: number }>(sql`SELECT count(*)::int AS n FROM resource WHERE type = 'Patient'`)).rows[0].n;

beforeAll(async () => {
  a = await createAccessApp();
}, 120_000);
afterAll(() => a.close());

test('a patient token cannot open a record carrying another person\'s INS: 403, nothing written, no activation code', async () => {
  const before = await patients();
  const res = await create(await a.token({ kind: 'patient', id: OWN_INS }), patient(OTHER_INS));
  expect(res.status).toBe(403);
  expect(res.body.resourceType).toBe('OperationOutcome');
  expect(res.headers['x-activation-code']).toBeUndefined();
  expect(await patients()).toBe(before);
  const codes = await a.testDb.db.query<{ n: number }>(sql`SELECT count(*)::int AS n FROM account_code`);
  expect(codes.rows[0].n).toBe(0);
});

test('a patient token naming a record id and no INS cannot open a record for an INS', async () => {
  const before = await patients();
  const res = await create(await a.token({ kind: 'patient', id: 'somebody' }), patient(OTHER_INS));
  expect(res.status).toBe(403);
  expect(await patients()).toBe(before);
});

test('the same token opens the record of its own INS (the control case), and the other INS stays free', async () => {
  expect((await create(await a.token({ kind: 'patient', id: OWN_INS }), patient(OWN_INS))).status).toBe(201);
  const holder = await a.testDb.db.query<{ n: number }>(sql`SELECT count(*)::int AS n FROM record_ins WHERE ins = ${OTHER_INS}`);
  expect(holder.rows[0].n).toBe(0);
});
