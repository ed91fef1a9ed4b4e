import request from 'supertest';
import { verifyPassword } from '../../../src/auth/password-hash';
import { setPatientCredential } from '../../../src/auth/patient-login';
import { sql } from '../../../src/store/sql';
import { loadFixture } from './fixture';
import { createAccessApp, type AccessApp } from './harness';

// The sign-in lockout under parallel guesses (an attempt is reserved before its password or code is checked), and
// the same answers for a known and an unknown identifier, before and after the lock. The clock is the test's.

const MAX_FAILURES = 5;
const MAX_CODE_ATTEMPTS = 3;
const LOCK_SECONDS = 600;
const PASSWORD = 'Lune-Orange-Velo-42';
const FAST = { N: 1024, r: 8, p: 1 };

let a: AccessApp;
let nowMs = Date.parse('2026-03-01T10:00:00Z');
// Every password the server checked, and the highest failure count seen in the database while checking one.
const checked: string[] = [];
let highestCount = 0;
let onChecked: () => void = () => undefined;

beforeAll(async () => {
  a = await createAccessApp({
    clock: () => new Date(nowMs),
    verifyLoginPassword: async (password, hash) => {
      checked.push(password);
      onChecked();
      const { rows } = await a.testDb.db.query<{ failed_count: number }>(sql`SELECT failed_count FROM login_attempt`);
      highestCount = Math.max(highestCount, ...rows.map((r) => r.failed_count));
      return verifyPassword(password, hash);
    },
    env: { LOGIN_MAX_FAILURES: String(MAX_FAILURES), LOGIN_LOCK_SECONDS: String(LOCK_SECONDS), LOGIN_MAX_CODE_ATTEMPTS: String(MAX_CODE_ATTEMPTS) },
  });
  await loadFixture(a.service);
}, 120_000);
afterAll(() => a.close());

beforeEach(async () => {
  nowMs += 3_600_000; // past any lock left by the previous test
  await setPatientCredential(a.testDb.db, { login: 'jeanne', patientId: 'p1', password: PASSWORD, scrypt: FAST });
  checked.length = 0;
  highestCount = 0;
  onChecked = () => undefined;
});

// supertest sends a request only when it is awaited: `fire` sends it now.
const fire = (test: request.Test): Promise<request.Response> => test.then((res) => res);
const login = (identifier: string, password: string) => request(a.app).post('/auth/login').send({ identifier, password });
const otp = (challenge: string, code: string) => request(a.app).post('/auth/otp').send({ challenge, code });
const statuses = (responses: request.Response[]): Record<number, number> =>
  responses.reduce<Record<number, number>>((count, r) => ({ ...count, [r.status]: (count[r.status] ?? 0) + 1 }), {});
const failedCount = async (login: string): Promise<number | undefined> =>
  (await a.testDb.db.query<{ failed_count: number }>(sql`SELECT failed_count FROM login_attempt WHERE login = ${login}`)).rows[0]?.failed_count;

async function sentCode(challenge: string): Promise<string> {
  const { rows } = await a.testDb.db.query<{ body: string }>(sql`SELECT body FROM notify_outbox WHERE idempotency_key LIKE ${`login-code:${challenge}:%`}`);
  return /\b(\d{6})\b/.exec(rows[0].body)![1];
}

/** What a client can observe of an answer, less what differs for every request (its date and id). */
function observable(res: request.Response): { status: number; body: string; headers: Record<string, string> } {
  const headers = Object.fromEntries(Object.entries(res.headers as Record<string, string>).filter(([name]) => !['date', 'x-request-id'].includes(name)));
  return { status: res.status, body: res.text, headers };
}

test('forty-one parallel guesses check at most five passwords; the right one sent once they are checked gets 423', async () => {
  const limitReached = new Promise<void>((resolve) => {
    onChecked = () => (checked.length >= MAX_FAILURES ? resolve() : undefined);
  });
  const wrong = Array.from({ length: 40 }, (_, i) => fire(login('jeanne', `mauvais essai ${i}`)));
  // The right password goes out while the wrong ones are still in flight, as soon as the limit is used up.
  await Promise.race([limitReached, Promise.allSettled(wrong)]);
  const right = await login('jeanne', PASSWORD);
  const answers = await Promise.all(wrong);

  expect(checked).toHaveLength(MAX_FAILURES);
  expect(checked).not.toContain(PASSWORD);
  expect(right.status).toBe(423);
  expect(right.headers['retry-after']).toBe(String(LOCK_SECONDS));
  expect(statuses(answers)).toEqual({ 401: MAX_FAILURES - 1, 423: 40 - (MAX_FAILURES - 1) });
  expect(highestCount).toBeLessThanOrEqual(MAX_FAILURES);
  expect(await failedCount('jeanne')).toBe(MAX_FAILURES);
});

test('parallel wrong codes for one sign-in compare at most LOGIN_MAX_CODE_ATTEMPTS codes; the code is then burnt', async () => {
  const started = await login('jeanne', PASSWORD);
  expect(started.status).toBe(200);
  const code = await sentCode(started.body.challenge);
  const wrongCode = code === '000000' ? '111111' : '000000';
  const answers = await Promise.all(Array.from({ length: 20 }, () => fire(otp(started.body.challenge, wrongCode))));

  expect(statuses(answers)).toEqual({ 401: MAX_CODE_ATTEMPTS, 429: 20 - MAX_CODE_ATTEMPTS });
  expect((await otp(started.body.challenge, code)).status).toBe(429);
  const { rows } = await a.testDb.db.query<{ attempts: number }>(sql`SELECT attempts FROM login_challenge WHERE id = ${started.body.challenge}`);
  expect(rows[0].attempts).toBe(MAX_CODE_ATTEMPTS);
  expect(await failedCount('jeanne')).toBe(MAX_CODE_ATTEMPTS);
});

test('parallel wrong codes spread over several sign-ins lock the account after LOGIN_MAX_FAILURES, no more compared', async () => {
  const challenges: string[] = [];
  for (let i = 0; i < 3; i++) challenges.push((await login('jeanne', PASSWORD)).body.challenge);
  const codes = await Promise.all(challenges.map(sentCode));
  const wrongFor = (code: string) => (code === '000000' ? '111111' : '000000');
  const guesses = challenges.flatMap((challenge, i) => Array.from({ length: MAX_CODE_ATTEMPTS }, () => fire(otp(challenge, wrongFor(codes[i])))));
  const answers = await Promise.all(guesses);

  expect(statuses(answers)).toEqual({ 401: MAX_FAILURES - 1, 423: 3 * MAX_CODE_ATTEMPTS - (MAX_FAILURES - 1) });
  const { rows } = await a.testDb.db.query<{ compared: number }>(sql`SELECT sum(attempts)::int AS compared FROM login_challenge WHERE id = ANY(${challenges})`);
  expect(rows[0].compared).toBe(MAX_FAILURES);
  expect(await failedCount('jeanne')).toBe(MAX_FAILURES);
  expect((await otp(challenges[0], codes[0])).status).toBe(423);
});

test('a known and an unknown identifier get byte-identical answers before and after the lock, and after it expires', async () => {
  const pairs: [request.Response, request.Response][] = [];
  for (let i = 0; i < MAX_FAILURES + 1; i++) {
    pairs.push([await login('jeanne', 'pas le bon mot de passe'), await login('inconnu.du.service', 'pas le bon mot de passe')]);
  }
  nowMs += (LOCK_SECONDS + 1) * 1000;
  pairs.push([await login('jeanne', 'pas le bon mot de passe'), await login('inconnu.du.service', 'pas le bon mot de passe')]);

  expect(pairs.map(([known]) => known.status)).toEqual([401, 401, 401, 401, 423, 423, 401]);
  for (const [known, unknown] of pairs) expect(observable(unknown)).toEqual(observable(known));
  const locked = pairs[MAX_FAILURES - 1][1];
  expect(locked.body.resourceType).toBe('OperationOutcome');
  expect(locked.headers['retry-after']).toBe(String(LOCK_SECONDS));
  expect(pairs[MAX_FAILURES][1].headers['retry-after']).toBe(String(LOCK_SECONDS));
  expect(pairs[0][1].headers['www-authenticate']).toBe('Basic realm="dmp-patient"');
}, 60_000);

test('the right password does not count as a failure: four wrong ones, then the right one, still sign in', async () => {
  for (let i = 0; i < MAX_FAILURES - 1; i++) expect((await login('jeanne', 'pas le bon mot de passe')).status).toBe(401);
  const started = await login('jeanne', PASSWORD);
  expect(started.status).toBe(200);
  expect(await failedCount('jeanne')).toBe(MAX_FAILURES - 1);
  expect((await otp(started.body.challenge, await sentCode(started.body.challenge))).status).toBe(200);
  expect(await failedCount('jeanne')).toBeUndefined();
});
