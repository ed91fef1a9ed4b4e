import type { Resource } from '@medplum/fhirtypes';
import request from 'supertest';
import { setPatientCredential } from '../../../src/auth/patient-login';
import { sql } from '../../../src/store/sql';
import { authorizeCode, exchange, refresh } from '../smart/launch';
import { authorizeUrl, Browser, formOf, newVerifier } from '../smart/launch-driver';
import { APP, PASSWORD, startSmartApp, type SmartApp } from '../smart/smart-app';
import { INS_NIR, systemContext } from './fixture';
import { createAccessApp, type AccessApp } from './harness';
import { withInsKey } from './ins-values';

// Issue 12, credentials kept past majority: the hand-over job deletes the credentials set while the holder was a
// minor (possibly by a parent), but it runs hourly. Sign-in itself refuses them from the 18th birthday (00:00
// Europe/Paris) on, at /auth/login, at /auth/otp (a code asked for just before midnight) and at the SMART sign-in
// page, with a French message pointing to activation; credentials set on or after the birthday sign in.

const FAST = { N: 1024, r: 8, p: 1 };
// Born 2008-12-07: adult from 2026-12-07 00:00 Paris time = 2026-12-06T23:00:00Z.
const MIDNIGHT_PARIS = Date.parse('2026-12-06T23:00:00Z');
let nowMs = MIDNIGHT_PARIS - 3_600_000;
let a: AccessApp;

const login = (identifier: string, password: string) => request(a.app).post('/auth/login').send({ identifier, password });
const otp = (challenge: string, code: string) => request(a.app).post('/auth/otp').send({ challenge, code });
async function sentCode(challenge: string): Promise<string> {
  const { rows } = await a.testDb.db.query<{ body: string }>(sql`SELECT body FROM notify_outbox WHERE idempotency_key LIKE ${`login-code:${challenge}:%`}`);
  return /\b(\d{6})\b/.exec(rows[0].body)![1];
}

beforeAll(async () => {
  a = await createAccessApp({ clock: () => new Date(nowMs) });
  const lou: Resource = {
    resourceType: 'Patient', id: 'lou', identifier: [{ system: INS_NIR, value: withInsKey('2081275123456') }], name: [{ family: 'PETIT', given: ['Lou'] }],
    gender: 'female', birthDate: '2008-12-07', telecom: [{ system: 'email', value: 'lou@example.org' }],
  };
  await a.service.repo.update(systemContext(), lou);
  // Set while Lou was a minor (by whoever held her activation code then).
  await setPatientCredential(a.testDb.db, { login: 'lou.enfant', patientId: 'lou', password: PASSWORD, now: new Date('2026-11-01T10:00:00Z'), scrypt: FAST });
}, 120_000);
afterAll(() => a.close());

test('the day before her 18th birthday the credentials set while she was a minor still sign in', async () => {
  nowMs = MIDNIGHT_PARIS - 60_000;
  const res = await login('lou.enfant', PASSWORD);
  expect(res.status).toBe(200);
});

test('from midnight in Paris on her 18th birthday, /auth/login refuses them with a French message pointing to activation', async () => {
  nowMs = MIDNIGHT_PARIS;
  const res = await login('lou.enfant', PASSWORD);
  expect(res.status).toBe(403);
  expect(res.body.resourceType).toBe('OperationOutcome');
  expect(res.body.issue[0].diagnostics).toMatch(/avant vos 18 ans/);
  expect(res.body.issue[0].diagnostics).toMatch(/code d’activation/);
  // A wrong password still answers as before (nothing told about the credential's age without it).
  expect((await login('lou.enfant', 'not the password at all')).status).toBe(401);
});

test('a code asked for just before midnight does not sign in after it', async () => {
  nowMs = MIDNIGHT_PARIS - 30_000;
  const started = await login('lou.enfant', PASSWORD);
  expect(started.status).toBe(200);
  const code = await sentCode(started.body.challenge);
  nowMs = MIDNIGHT_PARIS + 30_000;
  const res = await otp(started.body.challenge, code);
  expect(res.status).toBe(403);
  expect(res.body.issue[0].diagnostics).toMatch(/avant vos 18 ans/);
  expect(res.body.access_token).toBeUndefined();
});

test('credentials she sets on or after her birthday sign in', async () => {
  nowMs = MIDNIGHT_PARIS + 3_600_000;
  await setPatientCredential(a.testDb.db, { login: 'lou.petit', patientId: 'lou', password: PASSWORD, now: new Date(nowMs), scrypt: FAST });
  const started = await login('lou.petit', PASSWORD);
  expect(started.status).toBe(200);
  const token = await otp(started.body.challenge, await sentCode(started.body.challenge));
  expect(token.status).toBe(200);
  expect(token.body.patient).toBe('lou');
});

describe('the SMART sign-in page', () => {
  let s: SmartApp;
  // Jeanne (p1) was born 2015-04-02: the server's clock is a week after her 18th birthday; her credential was set now.
  beforeAll(async () => {
    s = await startSmartApp(3231, {}, { clock: () => new Date('2033-04-09T10:00:00Z') });
  }, 120_000);
  afterAll(() => s?.close());

  async function signIn(identifier: string): Promise<{ status: number; html: string }> {
    const browser = new Browser();
    const url = authorizeUrl(`${s.url}/auth/authorize`, { ...APP, scope: 'openid fhirUser launch/patient patient/*.rs', aud: s.fhirBase, state: 'st', verifier: newVerifier() });
    const form = formOf(await (await browser.get(url)).text());
    const res = await browser.post(s.url + form.action, { ...form.fields, identifier, password: PASSWORD });
    return { status: res.status, html: await res.text() };
  }

  test('refuses credentials set before the 18th birthday, in French, and sends no code', async () => {
    const sent = s.codes.length;
    const { status, html } = await signIn('jeanne');
    expect(status).toBe(403);
    expect(html).toMatch(/avant vos 18 ans/);
    expect(html).toMatch(/code d’activation/);
    expect(s.codes.length).toBe(sent);
  });

  test('an adult whose credentials were set as an adult gets his code', async () => {
    const sent = s.codes.length;
    const { status, html } = await signIn('paul.durand');
    expect(status).toBe(200);
    expect(html).not.toMatch(/avant vos 18 ans/);
    expect(s.codes.length).toBe(sent + 1);
  });
});

describe('a refresh token from a sign-in made before the 18th birthday', () => {
  let s: SmartApp;
  // Jeanne (p1) was born 2015-04-02: adult from 2033-04-02 00:00 Paris time (2033-04-01T22:00:00Z).
  let clockMs = Date.parse('2033-04-01T20:00:00Z');
  beforeAll(async () => {
    s = await startSmartApp(3232, {}, { clock: () => new Date(clockMs) });
  }, 120_000);
  afterAll(() => s?.close());

  test('does not refresh after the birthday (the sign-in may have been a parent\'s); an adult\'s still does', async () => {
    const jeanne = await authorizeCode(s, { identifier: 'jeanne', password: PASSWORD, code: () => s.lastCode() });
    const minorToken = await exchange(s, jeanne.code, jeanne.verifier);
    expect(minorToken.status).toBe(200);
    const paul = await authorizeCode(s, { identifier: 'paul.durand', password: PASSWORD, code: () => s.lastCode() }, 'openid fhirUser launch/patient offline_access patient/*.rs');
    const adultToken = await exchange(s, paul.code, paul.verifier);
    expect(adultToken.status).toBe(200);
    // Before midnight in Paris the refresh works.
    const before = await refresh(s, minorToken.body.refresh_token as string);
    expect(before.status).toBe(200);
    clockMs = Date.parse('2033-04-01T22:00:00Z');
    const after = await refresh(s, before.body.refresh_token as string);
    expect(after.status).toBe(400);
    expect(after.body.error).toBe('invalid_grant');
    expect(String(after.body.error_description)).toMatch(/before the account holder turned 18/);
    expect((await refresh(s, adultToken.body.refresh_token as string)).status).toBe(200);
  }, 60_000);
});
