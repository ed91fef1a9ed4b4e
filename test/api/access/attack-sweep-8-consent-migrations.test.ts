import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Consent } from '@medplum/fhirtypes';
import request from 'supertest';
import { sql } from '../../../src/store/sql';
import { byRpps, consent, loadFixture, systemContext } from './fixture';
import { createAccessApp, type AccessApp } from './harness';

// Migrations 215 and 216 (attack sweep 8) give the Consents stored before the sweep's rules the reading new writes get:
// a narrowed authorisation grants nothing (215), and a date end includes its day (216). Each case stores the rows as the
// earlier code derived them, runs the migration, and asks over HTTP what the professional reads.

let a: AccessApp;
beforeAll(async () => {
  a = await createAccessApp();
  await loadFixture(a.service);
}, 120_000);
afterAll(() => a.close());

const migration = (file: string) => readFileSync(path.join(__dirname, '../../../src/store/migrations', file), 'utf8');
const readsD1 = async (rpps: string) => (await request(a.app).get('/fhir/DocumentReference/d1').set('Authorization', `Bearer ${await a.token({ kind: 'practitioner', id: rpps })}`)).status;

test('215: an authorisation narrowed to Observations, stored with its grant, grants nothing; other grants stay', async () => {
  const narrowed = consent('narrowed-before', 'p1', { type: 'permit', actor: [byRpps('10000000181')], class: [{ system: 'http://hl7.org/fhir/resource-types', code: 'Observation' }] } as NonNullable<Consent['provision']>);
  await a.service.repo.update(systemContext(), narrowed);
  // The grant the earlier code derived from it.
  await a.testDb.db.query(sql`INSERT INTO access_consent (consent_id, patient_id, kind, actor_key) VALUES ('narrowed-before', 'p1', 'permit', ${'urn:oid:1.2.250.1.71.4.2.1|810000000181'})`);
  expect(await readsD1('10000000181')).toBe(200);
  await a.testDb.db.query(migration('215_consent_narrowings_grant_nothing.sql'));
  expect(await readsD1('10000000181')).toBe(404);
  expect(await readsD1('10000000002')).toBe(200); // the specialist's plain authorisation (the comparison can fail)
});

test('216: a date end stored at the start of its day is moved to its end', async () => {
  const today = new Date().toISOString().slice(0, 10);
  await a.service.repo.update(systemContext(), consent('dated-before', 'p1', { type: 'permit', actor: [byRpps('10000000182')], period: { end: today } } as NonNullable<Consent['provision']>));
  // As the earlier code stored it: the date read as an instant, the start of that day.
  await a.testDb.db.query(sql`UPDATE access_consent SET period_end = ${today}::date::timestamptz WHERE consent_id = 'dated-before'`);
  expect(await readsD1('10000000182')).toBe(404);
  await a.testDb.db.query(migration('216_consent_date_ends_include_the_day.sql'));
  expect(await readsD1('10000000182')).toBe(200);
});
