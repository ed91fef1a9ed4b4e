import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAccessApp, type AccessApp } from '../access/harness';
import { authorizeCode, exchange, jeanneOf, SCOPE } from './launch';
import { tokenRequest } from './launch-driver';
import { APP, startSmartApp, type SmartApp } from './smart-app';

// Issue 11, attack sweep 11 (SMART): what a client is granted = asked ∩ its registration ∩ the patient's consent. The
// registration was read at the sign-in only: a refresh gave the family's scopes again, so after an operator narrowed
// a client (SMART_CLIENTS: a scope withdrawn from an app found reading too much, offline_access taken away) and
// restarted, every app already signed in kept refreshing access tokens with the withdrawn scopes for as long as its
// refresh family lived (90 days by default). A refresh now grants the family's scopes only as far as the client's
// registration allows them now; without offline_access in it, the refresh is refused (the app signs in again). A code
// consented before the restart and exchanged after it is cut the same way.

let s: SmartApp;
const restarted: { app: AccessApp; server: Server }[] = [];

beforeAll(async () => {
  s = await startSmartApp(0, { TOKEN_CUTOFF_CACHE_MS: '0' });
}, 120_000);
afterAll(async () => {
  for (const r of restarted) {
    await new Promise<void>((resolve) => r.server.close(() => resolve()));
    await r.app.close();
  }
  await s?.close();
});

/** The same server, database and keys, restarted with the public app registered for `scope` only; its base URL. */
async function restartWith(scope: string): Promise<string> {
  const clients = [{ client_id: APP.clientId, type: 'public', token_endpoint_auth_method: 'none', redirect_uris: [APP.redirectUri], scope, grant_types: ['authorization_code', 'refresh_token'] }];
  const app = await createAccessApp({ env: { ...s.a.env, SMART_CLIENTS: JSON.stringify(clients) }, testDb: s.a.testDb });
  const server = createServer(app.app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  restarted.push({ app, server });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

const read = async (base: string, path: string, token: unknown): Promise<number> =>
  (await fetch(`${base}/fhir/${path}`, { headers: { authorization: `Bearer ${token as string}`, accept: 'application/fhir+json' } })).status;

/** Jeanne signs in to the app as registered at first (SCOPE: every type readable); its refresh token. */
async function signedIn(): Promise<string> {
  const { code, verifier } = await authorizeCode(s, jeanneOf(s));
  const res = await exchange(s, code, verifier);
  expect(res.status).toBe(200);
  expect(res.body.scope).toBe(SCOPE);
  return res.body.refresh_token as string;
}

test('after the operator narrowed the app to Observations, its refresh gives Observations only: the record itself answers 403', async () => {
  const refreshToken = await signedIn();
  const base = await restartWith('openid fhirUser launch/patient offline_access patient/Observation.rs');
  const res = await tokenRequest(`${base}/auth/token`, { grant_type: 'refresh_token', refresh_token: refreshToken, client_id: APP.clientId });
  expect(res.status).toBe(200);
  // patient/*.rs is not within patient/Observation.rs: it is not granted (an app wanting Observations signs in again).
  expect((res.body.scope as string).split(' ')).not.toContain('patient/*.rs');
  expect(await read(base, 'Patient/p1', res.body.access_token)).toBe(403);
  expect(await read(base, 'Condition/cond1', res.body.access_token)).toBe(403);
}, 120_000);

test('after the operator withdrew offline_access, a refresh is refused: the app must sign in again', async () => {
  const refreshToken = await signedIn();
  const base = await restartWith('openid fhirUser launch/patient patient/*.rs');
  const res = await tokenRequest(`${base}/auth/token`, { grant_type: 'refresh_token', refresh_token: refreshToken, client_id: APP.clientId });
  expect(res.status).toBe(400);
  expect(res.body.error).toBe('invalid_grant');
  expect(res.body.access_token).toBeUndefined();
}, 120_000);

test('a code consented before the narrowing and exchanged after it gives only what the registration allows now', async () => {
  const { code, verifier } = await authorizeCode(s, jeanneOf(s));
  const base = await restartWith('openid fhirUser launch/patient patient/Observation.rs');
  const res = await tokenRequest(`${base}/auth/token`, { grant_type: 'authorization_code', code, redirect_uri: APP.redirectUri, client_id: APP.clientId, code_verifier: verifier });
  expect(res.status).toBe(200);
  expect((res.body.scope as string).split(' ').sort()).toEqual(['fhirUser', 'launch/patient', 'openid']);
  // offline_access is no longer registered: no refresh token, and nothing of the record is readable.
  expect(res.body.refresh_token).toBeUndefined();
  expect(await read(base, 'Patient/p1', res.body.access_token)).toBe(403);
}, 120_000);

test('the registration unchanged, a refresh keeps every scope the patient granted (the control)', async () => {
  const refreshToken = await signedIn();
  const base = await restartWith(SCOPE);
  const res = await tokenRequest(`${base}/auth/token`, { grant_type: 'refresh_token', refresh_token: refreshToken, client_id: APP.clientId });
  expect(res.status).toBe(200);
  expect(res.body.scope).toBe(SCOPE);
  expect(await read(base, 'Patient/p1', res.body.access_token)).toBe(200);
}, 120_000);
