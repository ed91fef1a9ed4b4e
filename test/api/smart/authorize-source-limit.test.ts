import { pruneExpiredAuthorizations } from '../../../src/smart/authorization-requests';
import { sql } from '../../../src/store/sql';
import { authorizeUrl, newVerifier } from './launch-driver';
import { SCOPE } from './launch';
import { APP, startSmartApp, type SmartApp } from './smart-app';

// Issue 11: GET /auth/authorize is answered to anyone before any sign-in, and each request that passes the client's
// checks keeps a pending row for SMART_AUTHORIZE_TTL. With no limit per client address, one address could fill the table.
// Every request to the endpoint now counts against its address (SMART_AUTHORIZE_SOURCE_LIMIT per window, 3 here); beyond,
// 429 with Retry-After and the OAuth error temporarily_unavailable, and nothing is kept.

const WINDOW_S = 600;
let s: SmartApp;
beforeAll(async () => {
  s = await startSmartApp(0, { SMART_AUTHORIZE_SOURCE_LIMIT: '3', SMART_AUTHORIZE_SOURCE_WINDOW_SECONDS: String(WINDOW_S) });
}, 120_000);
afterAll(() => s?.close());

const url = (params: Record<string, string | undefined> = {}, clientId = APP.clientId) =>
  authorizeUrl(`${s.url}/auth/authorize`, { ...APP, clientId, scope: SCOPE, aud: s.fhirBase, state: 'st', verifier: newVerifier(), params });
const authorize = (address: string, headers: Record<string, string> = {}, clientId?: string) =>
  fetch(url({}, clientId), { redirect: 'manual', headers: { 'X-Forwarded-For': address, ...headers } });
const opened = (res: Response): boolean => res.headers.getSetCookie().some((c) => c.startsWith('dmp_authz_'));
const pending = async (): Promise<number> => Number((await s.a.testDb.db.query<{ n: string }>(sql`SELECT count(*)::text AS n FROM smart_authorization`)).rows[0].n);

test('an address opens SMART_AUTHORIZE_SOURCE_LIMIT requests; the next is refused with 429, Retry-After and temporarily_unavailable, and keeps no row', async () => {
  const before = await pending();
  for (let i = 0; i < 3; i++) {
    const res = await authorize('203.0.113.10');
    expect([i, res.status, opened(res)]).toEqual([i, 200, true]);
  }
  expect(await pending()).toBe(before + 3);
  const refused = await authorize('203.0.113.10');
  expect(refused.status).toBe(429);
  expect(refused.headers.get('content-type')).toMatch(/application\/json/);
  expect(refused.headers.get('cache-control')).toBe('no-store');
  const retryAfter = Number(refused.headers.get('retry-after'));
  expect(retryAfter).toBeGreaterThan(0);
  expect(retryAfter).toBeLessThanOrEqual(WINDOW_S);
  const body = (await refused.json()) as { error: string; error_description: string };
  expect(body.error).toBe('temporarily_unavailable');
  expect(body.error_description).toMatch(/Too many authorization requests from this address/);
  expect(opened(refused)).toBe(false);
  // The form post of the endpoint is the same endpoint: refused too.
  const posted = await fetch(`${s.url}/auth/authorize`, {
    method: 'POST', redirect: 'manual', headers: { 'X-Forwarded-For': '203.0.113.10', 'content-type': 'application/x-www-form-urlencoded' },
    body: new URL(url()).searchParams.toString(),
  });
  expect(posted.status).toBe(429);
  expect(await pending()).toBe(before + 3);
});

test('a browser (HTML asked first) reads the refusal in French', async () => {
  const res = await authorize('203.0.113.10', { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' });
  expect(res.status).toBe(429);
  expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
  expect(res.headers.get('content-type')).toMatch(/text\/html/);
  const text = await res.text();
  expect(text).toContain('<html lang="fr">');
  expect(text).toMatch(/Trop de demandes de connexion ont été faites depuis votre adresse réseau\. Réessayez dans \d+ minutes?\./);
});

test('the sign-in forms under /auth/authorize/ are not counted by it (they have the sign-in throttle)', async () => {
  const form = await fetch(`${s.url}/auth/authorize/login`, {
    method: 'POST', redirect: 'manual', headers: { 'X-Forwarded-For': '203.0.113.10', 'content-type': 'application/x-www-form-urlencoded' },
    body: 'tx=x&csrf=y&identifier=a&password=b',
  });
  // The "expired request" page of a request that does not exist, not the authorization endpoint's 429.
  expect(form.status).toBe(400);
});

test('another address is not affected', async () => {
  const res = await authorize('203.0.113.11');
  expect(res.status).toBe(200);
  expect(opened(res)).toBe(true);
});

test('every request counts, one refused for its client too: the limit does not depend on what it names', async () => {
  for (let i = 0; i < 3; i++) expect([i, (await authorize('203.0.113.12', {}, 'no-such-app')).status]).toEqual([i, 400]);
  expect((await authorize('203.0.113.12')).status).toBe(429);
});

test('expired pending requests are deleted by the retention job, live ones are kept', async () => {
  const live = await pending();
  expect(live).toBeGreaterThanOrEqual(4);
  expect(await pruneExpiredAuthorizations(s.a.testDb.db, new Date())).toBe(0);
  expect(await pending()).toBe(live);
  // SMART_AUTHORIZE_TTL is 600 s: an hour later every one has expired.
  expect(await pruneExpiredAuthorizations(s.a.testDb.db, new Date(Date.now() + 3600_000), 2)).toBe(live);
  expect(await pending()).toBe(0);
});
