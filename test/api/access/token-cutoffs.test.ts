import request from 'supertest';
import { setPatientCredential } from '../../../src/auth/patient-login';
import { main as handoverCli } from '../../../src/cli/majority-handover';
import { sql } from '../../../src/store/sql';
import { authorizeCode, exchange } from '../smart/launch';
import type { Person } from '../smart/launch-driver';
import { FAST, PASSWORD, startSmartApp, type SmartApp } from '../smart/smart-app';
import { systemContext } from './fixture';
import { parisTomorrow, paulsLinkToJeanne as rp1, seedMinorTurning18 } from './guardian-cases';

// Issue 11, account takeover: the access tokens our own issuers (patient sign-in `/auth/otp`, SMART `/auth/token`) gave
// a patient or a guardian die with the event that ends the right they carried — a new password, credentials revoked, a
// guardian link ended, the majority hand-over —, answering 401 `invalid_token` with a French OperationOutcome, within
// the revocation delay TOKEN_CUTOFF_CACHE_MS (0 here: at once). Before, they kept reading and writing the record until
// they expired (15 minutes). Driven over HTTP on the access and SMART wiring; Jeanne is p1 (a minor, e-mail
// patient@example.org), Paul Durand p2, guardian of p1 through rp1.

const NEW_PASSWORD = 'velo rouge sous la pluie';
let s: SmartApp;

beforeAll(async () => {
  s = await startSmartApp(0, { TOKEN_CUTOFF_CACHE_MS: '0' });
}, 120_000);
afterAll(() => s?.close());

const jeanne = (password = PASSWORD): Person => ({ identifier: 'jeanne', password, code: () => s.lastCode() });
const paul = (record = 'Mon dossier'): Person => ({ identifier: 'paul.durand', password: PASSWORD, code: () => s.lastCode(), record });

/** An access token from our SMART authorization server (sign-in, record choice, consent, code exchange). */
async function smartToken(app: SmartApp, person: Person): Promise<string> {
  const { code, verifier } = await authorizeCode(app, person);
  const res = await exchange(app, code, verifier);
  expect(res.status).toBe(200);
  return res.body.access_token as string;
}

/** An access token from the patient sign-in (`/auth/login`, then the code sent). */
async function loginToken(app: SmartApp, identifier: string, password = PASSWORD): Promise<string> {
  const started = await request(app.a.app).post('/auth/login').send({ identifier, password });
  expect(started.status).toBe(200);
  const done = await request(app.a.app).post('/auth/otp').send({ challenge: started.body.challenge, code: app.lastCode() });
  expect(done.status).toBe(200);
  return done.body.access_token as string;
}

const get = (app: SmartApp, token: string, path: string) => request(app.a.app).get(`/fhir/${path}`).set('Authorization', `Bearer ${token}`);

/** The answer of a token whose right has ended: 401, the OAuth challenge, a French OperationOutcome. */
function expectSessionEnded(res: request.Response): void {
  expect(res.status).toBe(401);
  expect(res.headers['www-authenticate']).toMatch(/^Bearer .*error="invalid_token"/);
  expect(res.body.resourceType).toBe('OperationOutcome');
  expect(res.body.issue[0].code).toBe('login');
  expect(res.body.issue[0].diagnostics).toMatch(/^Votre session a pris fin .*: reconnectez-vous\.$/);
}

/** Jeanne's password reset, as she does it after noticing the theft: request, code by e-mail, new password. */
async function resetJeanne(app: SmartApp, password: string): Promise<void> {
  expect((await request(app.a.app).post('/auth/reset').send({ identifier: 'jeanne' })).status).toBe(202);
  const { rows } = await app.a.testDb.db.query<{ body: string }>(sql`SELECT body FROM notify_outbox WHERE kind = 'password-reset' AND recipient = 'patient@example.org' ORDER BY id DESC LIMIT 1`);
  const code = /\b(\d{6})\b/.exec(rows[0].body)![1];
  expect((await request(app.a.app).post('/auth/reset/confirm').send({ identifier: 'jeanne', code, password })).status).toBe(200);
}

describe('a new password', () => {
  afterEach(async () => {
    await setPatientCredential(s.a.testDb.db, { login: 'jeanne', patientId: 'p1', password: PASSWORD, scrypt: FAST });
  });

  test("ends the patient's tokens issued before it, from both our issuers, for reads and writes; tokens issued after it work", async () => {
    const attackerLogin = await loginToken(s, 'jeanne');
    const attackerSmart = await smartToken(s, jeanne());
    const paulsOwn = await loginToken(s, 'paul.durand');
    expect((await get(s, attackerLogin, 'Patient/p1')).status).toBe(200);
    expect((await get(s, attackerSmart, 'Condition?patient=p1')).status).toBe(200);

    await resetJeanne(s, NEW_PASSWORD);

    expectSessionEnded(await get(s, attackerLogin, 'Patient/p1'));
    expectSessionEnded(await get(s, attackerLogin, 'Consent?patient=p1'));
    expectSessionEnded(await get(s, attackerSmart, 'Condition?patient=p1'));
    // A write (her consents included) is refused before anything is decided or stored.
    const consents = await s.a.testDb.db.query<{ n: number }>(sql`SELECT count(*)::int AS n FROM resource WHERE type = 'Consent'`);
    const write = await request(s.a.app).post('/fhir/Consent').set('Authorization', `Bearer ${attackerLogin}`).set('Content-Type', 'application/fhir+json')
      .send({ resourceType: 'Consent', status: 'active', patient: { reference: 'Patient/p1' } });
    expectSessionEnded(write);
    expect((await s.a.testDb.db.query<{ n: number }>(sql`SELECT count(*)::int AS n FROM resource WHERE type = 'Consent'`)).rows[0].n).toBe(consents.rows[0].n);

    // Jeanne signs in again with her new password: her new tokens work.
    expect((await get(s, await loginToken(s, 'jeanne', NEW_PASSWORD), 'Patient/p1')).status).toBe(200);
    expect((await get(s, await smartToken(s, jeanne(NEW_PASSWORD)), 'Condition?patient=p1')).status).toBe(200);
    // Another patient's token is unaffected.
    expect((await get(s, paulsOwn, 'Patient/p2')).status).toBe(200);
  });

  test("of a guardian's own account ends the tokens he holds for his child", async () => {
    const forChild = await smartToken(s, paul('Martin'));
    expect((await get(s, forChild, 'Patient/p1')).status).toBe(200);
    const jeannes = await loginToken(s, 'jeanne');
    await setPatientCredential(s.a.testDb.db, { login: 'paul.durand', patientId: 'p2', password: PASSWORD, scrypt: FAST });
    expectSessionEnded(await get(s, forChild, 'Patient/p1'));
    // The child's own token names another account: unaffected.
    expect((await get(s, jeannes, 'Patient/p1')).status).toBe(200);
  });

  test('a cut-off that cannot be read refuses the token (closed by default)', async () => {
    const token = await loginToken(s, 'jeanne');
    expect((await get(s, token, 'Patient/p1')).status).toBe(200);
    await s.a.testDb.db.query('ALTER TABLE token_cutoff RENAME TO token_cutoff_away');
    try {
      const res = await get(s, token, 'Patient/p1');
      expect(res.status).toBe(401);
      expect(res.headers['www-authenticate']).toMatch(/error="invalid_token"/);
      expect(res.body.issue[0].diagnostics).toMatch(/n’a pas pu être vérifiée/);
    } finally {
      await s.a.testDb.db.query('ALTER TABLE token_cutoff_away RENAME TO token_cutoff');
    }
    expect((await get(s, token, 'Patient/p1')).status).toBe(200);
  });
});

describe('a guardian link that ends', () => {
  afterEach(async () => {
    await s.a.service.repo.update(systemContext(), rp1());
  });

  test("ends the guardian's tokens issued before (an edit keeping it does not); his own record's tokens and new tokens after a new link work", async () => {
    const forChild = await smartToken(s, paul('Martin'));
    const own = await smartToken(s, paul());
    expect((await get(s, forChild, 'Patient/p1')).status).toBe(200);
    // An edit that keeps the link (a new phone number) ends nothing.
    await s.a.service.repo.update(systemContext(), rp1({ telecom: [{ system: 'phone', value: '0601020304' }] }));
    expect((await get(s, forChild, 'Patient/p1')).status).toBe(200);

    await s.a.service.repo.update(systemContext(), rp1({ active: false }));

    expectSessionEnded(await get(s, forChild, 'Patient/p1'));
    expectSessionEnded(await get(s, forChild, 'Condition?patient=p1'));
    expect((await get(s, own, 'Patient/p2')).status).toBe(200);
    // A link made again later gives a new sign-in its rights.
    await s.a.service.repo.update(systemContext(), rp1());
    expect((await get(s, await smartToken(s, paul('Martin')), 'Patient/p1')).status).toBe(200);
  });
});

describe('the majority hand-over', () => {
  // Zoé turns 18 tomorrow (Paris): today her father Paul (rpz) acts for her and she signs in herself with credentials
  // set while she is a minor. The hand-over job is run as if it were tomorrow.
  const tomorrow = parisTomorrow();
  beforeAll(() => seedMinorTurning18(s, { id: 'zoe', ins13: '2081275123456', family: 'Lambert', given: 'Zoe', guardianId: 'rpz' }));

  test("ends the former guardian's tokens and those of the credentials it revokes; another link's tokens are unaffected", async () => {
    const forZoe = await smartToken(s, paul('Lambert'));
    const forMartin = await smartToken(s, paul('Martin'));
    const zoes = await loginToken(s, 'zoe');
    expect((await get(s, forZoe, 'Patient/zoe')).status).toBe(200);
    expect((await get(s, zoes, 'Patient/zoe')).status).toBe(200);

    let out = '';
    const noon = new Date(`${tomorrow}T12:00:00+01:00`).toISOString();
    expect(await handoverCli(['--now', noon, '--json'], { DATABASE_URL: 'unused', AUDIT_CHAIN_SECRET: 'token-cutoffs-secret' }, (t) => void (out += t), s.a.testDb.db)).toBe(0);
    const report = JSON.parse(out) as { records: { patientId: string; guardians: string[]; revoked: number }[] };
    expect(report.records).toEqual([expect.objectContaining({ patientId: 'zoe', guardians: ['rpz'], revoked: 1 })]);

    expectSessionEnded(await get(s, forZoe, 'Patient/zoe'));
    expectSessionEnded(await get(s, zoes, 'Patient/zoe'));
    expect((await get(s, forMartin, 'Patient/p1')).status).toBe(200);
  });
});

describe('the revocation delay (TOKEN_CUTOFF_CACHE_MS)', () => {
  let slow: SmartApp;
  let offsetMs = 0;
  beforeAll(async () => {
    slow = await startSmartApp(0, { TOKEN_CUTOFF_CACHE_MS: '60000' }, { clock: () => new Date(Date.now() + offsetMs) });
  }, 120_000);
  afterAll(() => slow?.close());

  test('a token used between the new password and the end of the delay still answers; after the delay it is refused', async () => {
    const token = await loginToken(slow, 'jeanne');
    expect((await get(slow, token, 'Patient/p1')).status).toBe(200);
    await setPatientCredential(slow.a.testDb.db, { login: 'jeanne', patientId: 'p1', password: NEW_PASSWORD, scrypt: FAST });
    // Within the documented bound: this process read "no cut-off" less than 60 s ago.
    offsetMs = 59_000;
    expect((await get(slow, token, 'Patient/p1')).status).toBe(200);
    offsetMs = 60_001;
    expectSessionEnded(await get(slow, token, 'Patient/p1'));
  });
});
