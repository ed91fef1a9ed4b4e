import request from 'supertest';
import { setPatientCredential } from '../../../src/auth/patient-login';
import { sql } from '../../../src/store/sql';
import { loadFixture } from './fixture';
import { createAccessApp, type AccessApp } from './harness';

// Patient sign-in through HTTP: password, then a one-time code delivered through the notification outbox
// (the recorded transport), exchanged for a short-lived token. The clock is the test's.

let a: AccessApp;
let nowMs = Date.parse('2026-03-01T10:00:00Z');
const PASSWORD = 'correct horse battery';
// Cheap scrypt for tests (production: N = 2^17).
const FAST = { N: 1024, r: 8, p: 1 };

beforeAll(async () => {
  a = await createAccessApp({ clock: () => new Date(nowMs), env: { LOGIN_MAX_FAILURES: '4', LOGIN_LOCK_SECONDS: '600', LOGIN_CODE_TTL: '300', LOGIN_MAX_CODE_ATTEMPTS: '2' } });
  await loadFixture(a.service);
}, 120_000);
afterAll(() => a.close());

beforeEach(async () => {
  // Each test starts from a fresh credential with no failures.
  await setPatientCredential(a.testDb.db, { login: 'jeanne', patientId: 'p1', password: PASSWORD, scrypt: FAST });
});

const login = (identifier: string, password: string) => request(a.app).post('/auth/login').send({ identifier, password });
const otp = (challenge: string, code: string) => request(a.app).post('/auth/otp').send({ challenge, code });

/** The code sent for a sign-in attempt, read from the outbox row queued for the patient's e-mail. */
async function sentCode(challenge: string): Promise<{ code: string; recipient: string }> {
  const { rows } = await a.testDb.db.query<{ body: string; recipient: string }>(
    sql`SELECT body, recipient FROM notify_outbox WHERE idempotency_key LIKE ${`login-code:${challenge}:%`}`,
  );
  expect(rows).toHaveLength(1);
  return { code: /\b(\d{6})\b/.exec(rows[0].body)![1], recipient: rows[0].recipient };
}

test('the password then the code sent by e-mail give a token that reads the own record', async () => {
  const res = await login('jeanne', PASSWORD);
  expect(res.status).toBe(200);
  const { code, recipient } = await sentCode(res.body.challenge);
  expect(recipient).toBe('patient@example.org');
  const token = await otp(res.body.challenge, code);
  expect(token.status).toBe(200);
  expect(token.body.token_type).toBe('Bearer');
  expect(token.headers['cache-control']).toBe('no-store');
  const own = await request(a.app).get('/fhir/Patient/p1').set('Authorization', `Bearer ${token.body.access_token}`);
  expect(own.status).toBe(200);
  const other = await request(a.app).get('/fhir/Patient/p2').set('Authorization', `Bearer ${token.body.access_token}`);
  expect(other.status).toBe(404);
});

test('a wrong password and an unknown identifier get the same 401', async () => {
  const wrong = await login('jeanne', 'not the password');
  const unknown = await login('nobody', 'not the password');
  expect(wrong.status).toBe(401);
  expect(unknown.status).toBe(401);
  expect(wrong.body).toEqual(unknown.body);
});

test('a code is single use', async () => {
  const res = await login('jeanne', PASSWORD);
  const { code } = await sentCode(res.body.challenge);
  expect((await otp(res.body.challenge, code)).status).toBe(200);
  const again = await otp(res.body.challenge, code);
  expect(again.status).toBe(401);
  expect(again.body.issue[0].diagnostics).toMatch(/incorrect, expiré ou déjà utilisé/);
});

test('a code expires', async () => {
  const res = await login('jeanne', PASSWORD);
  const { code } = await sentCode(res.body.challenge);
  nowMs += 301_000;
  expect((await otp(res.body.challenge, code)).status).toBe(401);
});

test('a code burns after repeated wrong guesses (429), even the right one afterwards', async () => {
  const res = await login('jeanne', PASSWORD);
  const { code } = await sentCode(res.body.challenge);
  const wrong = code === '000000' ? '111111' : '000000';
  expect((await otp(res.body.challenge, wrong)).status).toBe(401);
  expect((await otp(res.body.challenge, wrong)).status).toBe(401);
  const burnt = await otp(res.body.challenge, code);
  expect(burnt.status).toBe(429);
  expect(burnt.body.issue[0].diagnostics).toMatch(/recommencez la connexion \(POST \/auth\/login\)/);
});

test('repeated wrong passwords lock the account (423 with Retry-After) until the lock expires', async () => {
  for (let i = 0; i < 3; i++) expect((await login('jeanne', 'wrong password!')).status).toBe(401);
  const locked = await login('jeanne', 'wrong password!');
  expect(locked.status).toBe(423);
  expect(locked.body.issue[0].diagnostics).toMatch(/bloqué après plusieurs tentatives de connexion échouées/);
  expect(Number(locked.headers['retry-after'])).toBe(600);
  const evenRight = await login('jeanne', PASSWORD);
  expect(evenRight.status).toBe(423);
  nowMs += 601_000;
  expect((await login('jeanne', PASSWORD)).status).toBe(200);
});

test('wrong codes count towards the lock too', async () => {
  let last = 0;
  for (let i = 0; i < 2; i++) {
    const res = await login('jeanne', PASSWORD);
    for (let j = 0; j < 2; j++) last = (await otp(res.body.challenge, 'abcdef')).status;
  }
  expect(last).toBe(423);
  nowMs += 601_000;
});

test('the patient sets his password with his own token; another record cannot take his identifier', async () => {
  const own = await a.token({ kind: 'patient', id: 'p2' });
  const set = await request(a.app).put('/auth/password').set('Authorization', `Bearer ${own}`).send({ identifier: 'paul', password: 'a long enough secret' });
  expect(set.status).toBe(204);
  const steal = await request(a.app).put('/auth/password').set('Authorization', `Bearer ${own}`).send({ identifier: 'jeanne', password: 'a long enough secret' });
  expect(steal.status).toBe(409);
  const practitioner = await a.token({ kind: 'practitioner', id: '10000000001' });
  const notPatient = await request(a.app).put('/auth/password').set('Authorization', `Bearer ${practitioner}`).send({ identifier: 'x', password: 'a long enough secret' });
  expect(notPatient.status).toBe(403);
}, 30_000);

test('a login missing a field is a 400 OperationOutcome', async () => {
  const res = await request(a.app).post('/auth/login').send({ identifier: 'jeanne' });
  expect(res.status).toBe(400);
  expect(res.body.resourceType).toBe('OperationOutcome');
});
