import { authorizeCode, exchange, jeanneOf, refresh } from './launch';
import { APP, startSmartApp, type SmartApp } from './smart-app';

// Issue 11, attack sweep 10 (SMART): revoking a grant must end what it gave. Revocation ended the refresh family, but
// the access tokens the family had issued stayed valid until they expired (15 minutes): after a sign-out (the portal's
// « Se déconnecter », `/auth/logout`), an RFC 7009 revocation, or a replayed code or refresh token (a thief detected,
// RFC 6749 §4.1.2 and the OAuth Security BCP §4.14.2), whoever held an access token kept reading the record. Each
// access token now names its family, and a revoked family's tokens answer 401. TOKEN_CUTOFF_CACHE_MS=0: no revocation
// delay, so each answer is the rule's, not the cache's.

let s: SmartApp;

beforeAll(async () => {
  s = await startSmartApp(0, { TOKEN_CUTOFF_CACHE_MS: '0' });
}, 120_000);
afterAll(() => s?.close());

const read = async (token: unknown): Promise<number> => (await fetch(`${s.fhirBase}/Patient/p1`, { headers: { authorization: `Bearer ${token as string}`, accept: 'application/fhir+json' } })).status;

/** A form POST to the authorization server (revocation, sign-out: RFC 7009 answers 200 with no body); its status. */
const post = async (path: string, form: Record<string, string>): Promise<number> =>
  (await fetch(`${s.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(form) })).status;

/** A fresh launch of the registered app by Jeanne, its tokens exchanged. */
async function launch(): Promise<{ access: string; refresh: string; code: string; verifier: string }> {
  const { code, verifier } = await authorizeCode(s, jeanneOf(s));
  const res = await exchange(s, code, verifier);
  expect(res.status).toBe(200);
  return { access: res.body.access_token as string, refresh: res.body.refresh_token as string, code, verifier };
}

test('an access token stops working once its refresh token is revoked at /auth/revoke (RFC 7009)', async () => {
  const t = await launch();
  expect(await read(t.access)).toBe(200);
  expect(await post('/auth/revoke', { token: t.refresh, token_type_hint: 'refresh_token', client_id: APP.clientId })).toBe(200);
  expect(await read(t.access)).toBe(401);
}, 60_000);

test('a sign-out at /auth/logout ends the access token of the sign-in it ends', async () => {
  const t = await launch();
  expect(await post('/auth/logout', { token: t.refresh, client_id: APP.clientId })).toBe(200);
  expect(await read(t.access)).toBe(401);
}, 60_000);

test('a code presented twice ends the access token of its first exchange too (RFC 6749 §4.1.2)', async () => {
  const t = await launch();
  expect(await read(t.access)).toBe(200);
  expect((await exchange(s, t.code, t.verifier)).body.error).toBe('invalid_grant');
  expect(await read(t.access)).toBe(401);
}, 60_000);

test('a code without offline_access presented twice ends the access token of its first exchange too', async () => {
  const { code, verifier } = await authorizeCode(s, jeanneOf(s), 'openid fhirUser launch/patient patient/*.rs');
  const first = await exchange(s, code, verifier);
  expect(first.status).toBe(200);
  expect(first.body.refresh_token).toBeUndefined();
  expect(await read(first.body.access_token)).toBe(200);
  expect((await exchange(s, code, verifier)).body.error).toBe('invalid_grant');
  expect(await read(first.body.access_token)).toBe(401);
}, 60_000);

test('a refresh token presented twice ends every access token of its family', async () => {
  const t = await launch();
  const rotated = await refresh(s, t.refresh);
  expect(rotated.status).toBe(200);
  expect(await read(rotated.body.access_token)).toBe(200);
  expect((await refresh(s, t.refresh)).body.error).toBe('invalid_grant');
  expect(await read(t.access)).toBe(401);
  expect(await read(rotated.body.access_token)).toBe(401);
}, 60_000);

test('another sign-in of the same patient keeps working when one is revoked (the comparison can fail)', async () => {
  const kept = await launch();
  const ended = await launch();
  expect(await post('/auth/revoke', { token: ended.refresh, client_id: APP.clientId })).toBe(200);
  expect(await read(kept.access)).toBe(200);
  const refreshed = await refresh(s, kept.refresh);
  expect(await read(refreshed.body.access_token)).toBe(200);
}, 60_000);
