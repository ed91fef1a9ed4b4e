import request from 'supertest';
import { authorizeCode, exchange, refresh } from '../smart/launch';
import { PASSWORD, startSmartApp, type SmartApp } from '../smart/smart-app';

// Issue 11's outside check, sweep 6b, family 10 (tokens) with issue 12's majority rule, over HTTP on the access app
// with the SMART authorization server (an injected clock: the rule is about midnight in Paris).
// Rule (README "Sign-in refuses credentials set before the majority"): a sign-in made before the 18th birthday gives
// nothing after it — /auth/otp refuses a code asked for before midnight, and "a SMART refresh token whose sign-in was
// made before the birthday no longer refreshes after it", because the sign-in may have been a parent's with the child's
// credentials. Found: the refresh check compared the birthday with the refresh family's creation, not the sign-in. A
// parent who typed the child's password and code at 23:59:40 and let the app exchange the code at 00:00:30 got a family
// dated after the majority: its refresh token then renewed itself for 30 days on the adult's record.
// Rule (README "SMART on FHIR", refresh tokens): a new password — set after a theft — revokes every refresh family of
// the account and ends its sign-in sessions: every app signs in again. Found: an authorization code issued before the
// new password, exchanged after it, started a fresh family that the change never revoked.

const SCOPE = 'openid fhirUser launch/patient offline_access patient/*.rs';
// Jeanne (p1) was born 2015-04-02: adult from 2033-04-02 00:00 Paris time (2033-04-01T22:00:00Z).
const MIDNIGHT_PARIS = Date.parse('2033-04-01T22:00:00Z');
let clockMs = MIDNIGHT_PARIS - 120_000;
let s: SmartApp;

beforeAll(async () => {
  s = await startSmartApp(0, {}, { clock: () => new Date(clockMs) });
}, 120_000);
afterAll(() => s?.close());

describe('a sign-in made before the 18th birthday, completed by the app after it', () => {
  it('its code gives no token after midnight (invalid_grant), so no refresh token outlives the majority', async () => {
    clockMs = MIDNIGHT_PARIS - 20_000;
    const jeanne = await authorizeCode(s, { identifier: 'jeanne', password: PASSWORD, code: () => s.lastCode() }, SCOPE);
    clockMs = MIDNIGHT_PARIS + 30_000;
    const res = await exchange(s, jeanne.code, jeanne.verifier);
    expect([res.status, res.body.error, res.body.access_token, res.body.refresh_token]).toEqual([400, 'invalid_grant', undefined, undefined]);
    expect(String(res.body.error_description)).toMatch(/before the account holder turned 18/);
  }, 60_000);

  it('an adult\'s code issued before midnight is exchanged after it, and refreshes (the comparison can fail)', async () => {
    clockMs = MIDNIGHT_PARIS - 20_000;
    const paul = await authorizeCode(s, { identifier: 'paul.durand', password: PASSWORD, code: () => s.lastCode() }, SCOPE);
    clockMs = MIDNIGHT_PARIS + 30_000;
    const token = await exchange(s, paul.code, paul.verifier);
    expect(token.status).toBe(200);
    expect((await refresh(s, token.body.refresh_token as string)).status).toBe(200);
  }, 60_000);
});

describe('a new password ends what the sign-ins before it started', () => {
  it('a code issued before the password is set again gives no token after it (invalid_grant)', async () => {
    clockMs = MIDNIGHT_PARIS + 3_600_000;
    const paul = await authorizeCode(s, { identifier: 'paul.durand', password: PASSWORD, code: () => s.lastCode() }, SCOPE);
    const own = await s.a.token({ kind: 'patient', id: 'p2' });
    const set = await request(s.a.app).put('/auth/password').set('Authorization', `Bearer ${own}`).send({ identifier: 'paul.durand', password: 'Tournesol cerf volant brume' });
    expect(set.status).toBe(204);
    const res = await exchange(s, paul.code, paul.verifier);
    expect([res.status, res.body.error, res.body.access_token, res.body.refresh_token]).toEqual([400, 'invalid_grant', undefined, undefined]);
    expect(String(res.body.error_description)).toMatch(/has ended/);
  }, 60_000);

  it('a code exchanged before the change gives a token (the comparison can fail), whose refresh the change revokes', async () => {
    const paul = await authorizeCode(s, { identifier: 'paul.durand', password: 'Tournesol cerf volant brume', code: () => s.lastCode() }, SCOPE);
    const token = await exchange(s, paul.code, paul.verifier);
    expect(token.status).toBe(200);
    const own = await s.a.token({ kind: 'patient', id: 'p2' });
    expect((await request(s.a.app).put('/auth/password').set('Authorization', `Bearer ${own}`).send({ identifier: 'paul.durand', password: 'Velo rouge sous la pluie de mars' })).status).toBe(204);
    expect((await refresh(s, token.body.refresh_token as string)).body.error).toBe('invalid_grant');
  }, 60_000);
});
