import { randomUUID } from 'node:crypto';
import { SignJWT } from '../../../src/auth/jose';
import { authorizeUrl, Browser, newVerifier, signInAndConsent, tokenRequest } from './launch-driver';
import { jeanneOf, SCOPE } from './launch';
import { APP, BACKEND, startSmartApp, type SmartApp } from './smart-app';

// Issue 11, attack sweep 11 (SMART): RFC 7009 revocation of an ACCESS token. /auth/revoke and /auth/logout looked the
// presented token up among refresh tokens only and answered 200 to anything else: an access token "revoked" by its app
// kept reading the record until it expired (15 minutes by default, up to a day), and the app was told it was gone. An
// app that asked no `offline_access` holds no refresh token: it had no way at all to end its access (a patient's
// « Déconnecter » in such an app did nothing), and /auth/logout with its token left the sign-in session open too.
// Now an access token issued to the presenting client revokes the grant it came from (RFC 7009 §2.1), another
// client's is ignored as before (200, no oracle), and a backend token, which names no grant, is refused as
// unsupported_token_type instead of a false 200. TOKEN_CUTOFF_CACHE_MS=0: each answer is the rule's, not the cache's.

const OTHER = { clientId: 'other-app', redirectUri: 'https://other.example/cb' };
let s: SmartApp;

beforeAll(async () => {
  s = await startSmartApp(0, { TOKEN_CUTOFF_CACHE_MS: '0' }, {
    clients: [{ client_id: OTHER.clientId, type: 'public', token_endpoint_auth_method: 'none', redirect_uris: [OTHER.redirectUri], scope: SCOPE, grant_types: ['authorization_code', 'refresh_token'] }],
  });
}, 120_000);
afterAll(() => s?.close());

const read = async (token: unknown): Promise<number> => (await fetch(`${s.fhirBase}/Patient/p1`, { headers: { authorization: `Bearer ${token as string}`, accept: 'application/fhir+json' } })).status;

const post = async (path: string, form: Record<string, string>): Promise<{ status: number; body: string }> => {
  const res = await fetch(`${s.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(form) });
  return { status: res.status, body: await res.text() };
};

/** Jeanne launches the registered app in `browser` with `scope`; its token answer. */
async function launch(scope: string, browser = new Browser()): Promise<Record<string, unknown>> {
  const verifier = newVerifier();
  const back = await signInAndConsent(browser, s.url, authorizeUrl(`${s.url}/auth/authorize`, { ...APP, scope, aud: s.fhirBase, state: 'st', verifier }), jeanneOf(s));
  const res = await tokenRequest(s.tokenUrl, { grant_type: 'authorization_code', code: back.searchParams.get('code') as string, redirect_uri: APP.redirectUri, client_id: APP.clientId, code_verifier: verifier });
  expect(res.status).toBe(200);
  return res.body;
}

test('an app without offline_access ends its access token at /auth/revoke: the token answers 401 from then on', async () => {
  const t = await launch('openid fhirUser launch/patient patient/*.rs');
  expect(t.refresh_token).toBeUndefined();
  expect(await read(t.access_token)).toBe(200);
  expect(await post('/auth/revoke', { token: t.access_token as string, token_type_hint: 'access_token', client_id: APP.clientId })).toEqual({ status: 200, body: '' });
  expect(await read(t.access_token)).toBe(401);
}, 60_000);

test('revoking the access token of a sign-in with a refresh token ends the refresh token too (the whole grant)', async () => {
  const t = await launch(SCOPE);
  expect(typeof t.refresh_token).toBe('string');
  expect((await post('/auth/revoke', { token: t.access_token as string, client_id: APP.clientId })).status).toBe(200);
  expect(await read(t.access_token)).toBe(401);
  const refreshed = await tokenRequest(s.tokenUrl, { grant_type: 'refresh_token', refresh_token: t.refresh_token as string, client_id: APP.clientId });
  expect(refreshed.status).toBe(400);
  expect(refreshed.body.error).toBe('invalid_grant');
}, 60_000);

test('another client presenting the token gets the same 200 as for an unknown token, and the token keeps working', async () => {
  const t = await launch('openid fhirUser launch/patient patient/*.rs');
  expect(await post('/auth/revoke', { token: t.access_token as string, client_id: OTHER.clientId })).toEqual({ status: 200, body: '' });
  expect(await post('/auth/revoke', { token: `${t.access_token as string}x`, client_id: OTHER.clientId })).toEqual({ status: 200, body: '' });
  expect(await read(t.access_token)).toBe(200);
}, 60_000);

test('a sign-out at /auth/logout with the access token ends it and the sign-in session: the next launch asks the password', async () => {
  const browser = new Browser();
  const t = await launch('openid fhirUser launch/patient patient/*.rs', browser);
  expect((await post('/auth/logout', { token: t.access_token as string, client_id: APP.clientId })).status).toBe(200);
  expect(await read(t.access_token)).toBe(401);
  const again = await browser.get(authorizeUrl(`${s.url}/auth/authorize`, { ...APP, scope: SCOPE, aud: s.fhirBase, state: 'st2', verifier: newVerifier() }));
  expect(again.status).toBe(200);
  expect(await again.text()).toMatch(/name="password"/);
}, 60_000);

test('a backend token names no grant: its revocation is refused as unsupported_token_type, not answered as done', async () => {
  const clientAssertion = () => new SignJWT({ jti: randomUUID() })
    .setProtectedHeader({ alg: 'RS384', kid: s.backendKid, typ: 'JWT' })
    .setIssuer(BACKEND.clientId).setSubject(BACKEND.clientId).setAudience(s.tokenUrl)
    .setExpirationTime(Math.floor(Date.now() / 1000) + 240)
    .sign(s.backendKey);
  const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
  const token = await tokenRequest(s.tokenUrl, { grant_type: 'client_credentials', scope: 'system/*.cruds', client_assertion_type: JWT_BEARER, client_assertion: await clientAssertion() });
  expect(token.status).toBe(200);
  const res = await post('/auth/revoke', { token: token.body.access_token as string, client_assertion_type: JWT_BEARER, client_assertion: await clientAssertion() });
  expect(res.status).toBe(400);
  expect(JSON.parse(res.body).error).toBe('unsupported_token_type');
}, 60_000);
