import type { Resource } from '@medplum/fhirtypes';
import request from 'supertest';
import { setPatientCredential } from '../../../src/auth/patient-login';
import { main as purgeCli } from '../../../src/cli/purge-records';
import { purgeRecords, type PurgeReport } from '../../../src/records/purge-job';
import { SystemRepository } from '../../../src/system/system-repository';
import { sql } from '../../../src/store/sql';
import { INS_NIR, systemContext } from '../access/fixture';
import { withInsKey } from '../access/ins-values';
import { createRecordsApp, type RecordsApp } from './harness';

// Issue 12: sign-in failures are counted per identifier, known or not (migration 141), so an enumeration attack leaves
// one `login_attempt` row per guessed identifier. A count is forgotten once its last attempt is older than the lock
// duration (migration 201) — then it answers as no count, for a known and an unknown identifier alike — and the purge
// job (and `npm run records:purge`) removes such rows; likewise the activation failures (`account_attempt`). Injected
// clock throughout.

const LOCK_SECONDS = 600;
const MAX_FAILURES = 3;
const START = Date.parse('2026-12-01T10:00:00Z');
const PASSWORD = 'Tournesol-cerf-volant-brume-1987';
const RECORD_URL = 'https://www.monespacesante.fr';
let a: RecordsApp;

const at = (seconds: number) => new Date(START + seconds * 1000);
const login = (identifier: string, password = 'pas le bon mot de passe') => request(a.app).post('/auth/login').send({ identifier, password });
const counts = async (): Promise<Record<string, number>> =>
  Object.fromEntries((await a.db.query<{ login: string; failed_count: number }>(sql`SELECT login, failed_count FROM login_attempt ORDER BY login`)).rows.map((r) => [r.login, r.failed_count]));

/** What a client can observe of an answer, less what differs for every request (its date and id). */
function observable(res: request.Response): { status: number; body: string } {
  return { status: res.status, body: res.text };
}

beforeAll(async () => {
  a = await createRecordsApp({ start: at(0), env: { LOGIN_LOCK_SECONDS: String(LOCK_SECONDS), LOGIN_MAX_FAILURES: String(MAX_FAILURES) } });
  const adam: Resource = { resourceType: 'Patient', id: 'adam', identifier: [{ system: INS_NIR, value: withInsKey('1800175123459') }], name: [{ use: 'official', family: 'MARTIN', given: ['Adam'] }], gender: 'male', birthDate: '1980-01-15', telecom: [{ system: 'email', value: 'adam@example.org' }] };
  await a.service.repo.update(systemContext(), adam);
  await setPatientCredential(a.db, { login: 'adam.martin', patientId: 'adam', password: PASSWORD, now: at(0), scrypt: { N: 1024, r: 8, p: 1 } });
}, 120_000);
afterAll(() => a?.close());

test('an enumeration attack leaves a count per guessed identifier; the purge job removes them once their window has passed, not before', async () => {
  const guessed = Array.from({ length: 12 }, (_, i) => `personne.${i}`);
  for (const identifier of guessed) expect((await login(identifier)).status).toBe(401);
  expect(Object.keys(await counts())).toEqual([...guessed].sort());
  // Within the window the counts still throttle: the job keeps them.
  expect((await purgeRecords(new SystemRepository(a.db), { now: at(LOCK_SECONDS - 1), recordUrl: RECORD_URL })).loginAttempts).toBe(0);
  // A dry run of the CLI counts them and removes none.
  let out = '';
  expect(await purgeCli(['--dry-run', '--now', at(LOCK_SECONDS).toISOString(), '--json'], a.env, (t) => void (out += t), a.db)).toBe(0);
  expect((JSON.parse(out) as PurgeReport).loginAttempts).toBe(guessed.length);
  expect(Object.keys(await counts())).toHaveLength(guessed.length);
  out = '';
  expect(await purgeCli(['--now', at(LOCK_SECONDS).toISOString()], a.env, (t) => void (out += t), a.db)).toBe(0);
  expect(out).toContain(`sign-in and activation failure counts past their window removed: ${guessed.length}`);
  expect(await counts()).toEqual({});
});

test('a lock still running is kept by the purge, and removed once it has ended', async () => {
  a.clock.now = at(1000);
  for (let i = 0; i < MAX_FAILURES; i++) await login('personne.verrou');
  expect((await login('personne.verrou')).status).toBe(423);
  // Refused attempts during the lock do not extend it; the job keeps the row until the lock ends.
  expect((await purgeRecords(new SystemRepository(a.db), { now: at(1000 + LOCK_SECONDS - 1), recordUrl: RECORD_URL })).loginAttempts).toBe(0);
  expect(await counts()).toEqual({ 'personne.verrou': MAX_FAILURES });
  expect((await purgeRecords(new SystemRepository(a.db), { now: at(1000 + LOCK_SECONDS), recordUrl: RECORD_URL })).loginAttempts).toBe(1);
  expect(await counts()).toEqual({});
});

test('a count past its window starts over for a known and an unknown identifier alike: removing it tells nothing', async () => {
  a.clock.now = at(3000);
  for (let i = 0; i < MAX_FAILURES - 1; i++) {
    expect((await login('adam.martin')).status).toBe(401);
    expect((await login('personne.autre')).status).toBe(401);
  }
  // Past the window, without any purge: one more failure each is the first of a new count, not the lock.
  a.clock.now = at(3000 + LOCK_SECONDS);
  const known = await login('adam.martin');
  const unknown = await login('personne.autre');
  expect(known.status).toBe(401);
  expect(observable(known)).toEqual(observable(unknown));
  expect(await counts()).toEqual({ 'adam.martin': 1, 'personne.autre': 1 });
  // Within the new window the limit holds as before, with the same answers.
  for (let i = 0; i < MAX_FAILURES - 1; i++) {
    await login('adam.martin');
    await login('personne.autre');
  }
  const lockedKnown = await login('adam.martin', PASSWORD);
  const lockedUnknown = await login('personne.autre', PASSWORD);
  expect(lockedKnown.status).toBe(423);
  expect(observable(lockedKnown)).toEqual(observable(lockedUnknown));
  // Both forgotten at the same instant: the job removes both, the known identifier's too.
  expect((await purgeRecords(new SystemRepository(a.db), { now: at(3000 + 2 * LOCK_SECONDS), recordUrl: RECORD_URL })).loginAttempts).toBe(2);
  expect(await counts()).toEqual({});
});

test('activation failures for records that do not exist are removed the same way, an hour (their lock duration) after the last', async () => {
  a.clock.now = at(10_000);
  const activate = (patient: string) =>
    request(a.app).post('/auth/activate').send({ patient, activation_code: 'ABCD-EFGH-JKMN', identifier: `qui.${patient}`, password: PASSWORD });
  for (let i = 0; i < 5; i++) expect((await activate(`inconnu-${i}`)).status).toBe(400);
  const keys = async () => (await a.db.query<{ key: string }>(sql`SELECT key FROM account_attempt ORDER BY key`)).rows.map((r) => r.key);
  expect(await keys()).toHaveLength(5);
  expect((await purgeRecords(new SystemRepository(a.db), { now: at(10_000 + 3599), recordUrl: RECORD_URL })).loginAttempts).toBe(0);
  expect((await purgeRecords(new SystemRepository(a.db), { now: at(10_000 + 3600), recordUrl: RECORD_URL })).loginAttempts).toBe(5);
  expect(await keys()).toEqual([]);
});
