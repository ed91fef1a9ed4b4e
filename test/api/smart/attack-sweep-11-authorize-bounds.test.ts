import { authorizeUrl, newVerifier } from './launch-driver';
import { SCOPE } from './launch';
import { APP, startSmartApp, type SmartApp } from './smart-app';

// Issue 11 / 14, attack sweep 11 (SMART): GET /auth/authorize is reached by anyone, with a client id and redirect URI
// anyone can read in a public app, and each request is kept as a pending authorization for ten minutes. Its `state`
// and `nonce` had no bound: 16 kB each (the largest URL or form) in every row, thousands of rows a minute, a table
// filled for no one. Both are now bounded (state 1024 characters, nonce 512); a longer one goes back to the app as
// invalid_request without being kept or echoed (no pending authorization: no per-request cookie either).

let s: SmartApp;
beforeAll(async () => {
  s = await startSmartApp(0);
}, 120_000);
afterAll(() => s?.close());

const authorize = (state: string, params: Record<string, string | undefined> = {}) =>
  fetch(authorizeUrl(`${s.url}/auth/authorize`, { ...APP, scope: SCOPE, aud: s.fhirBase, state, verifier: newVerifier(), params }), { redirect: 'manual' });

const opened = (res: Response): boolean => res.headers.getSetCookie().some((c) => c.startsWith('dmp_authz_'));

test('a state of 1024 characters is kept: the sign-in page opens', async () => {
  const res = await authorize('s'.repeat(1024));
  expect(res.status).toBe(200);
  expect(opened(res)).toBe(true);
});

test('a state of 1025 characters goes back to the app as invalid_request, not kept and not echoed', async () => {
  const res = await authorize('s'.repeat(1025));
  expect(res.status).toBe(302);
  const back = new URL(res.headers.get('location') as string);
  expect(`${back.origin}${back.pathname}`).toBe(APP.redirectUri);
  expect(back.searchParams.get('error')).toBe('invalid_request');
  expect(back.searchParams.has('state')).toBe(false);
  expect(opened(res)).toBe(false);
});

test('a state of 8 kB, or a nonce of 8 kB, opens nothing either', async () => {
  const long = await authorize('s'.repeat(8192));
  expect(long.status).toBe(302);
  expect(opened(long)).toBe(false);
  const nonce = await authorize('st-1', { nonce: 'n'.repeat(8192) });
  expect(nonce.status).toBe(302);
  const back = new URL(nonce.headers.get('location') as string);
  expect(back.searchParams.get('error')).toBe('invalid_request');
  expect(back.searchParams.get('state')).toBe('st-1');
  expect(opened(nonce)).toBe(false);
});

test('a nonce of 512 characters is kept (OpenID Connect apps send a few dozen)', async () => {
  const res = await authorize('st-2', { nonce: 'n'.repeat(512) });
  expect(res.status).toBe(200);
  expect(opened(res)).toBe(true);
});
