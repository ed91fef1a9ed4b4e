import { startPortalServer, type PortalServer } from '../portal/portal-harness';
import { authorizeUrl, Browser, formOf, newVerifier } from './launch-driver';
import { SCOPE } from './launch';
import { APP, startSmartApp, type SmartApp } from './smart-app';

// Attack sweep 11 (SMART): bad input is a 4xx, never a 5xx. The authorization pages read their cookies (the sign-in
// session `dmp_sso`, the per-request `dmp_authz_<id>`) with decodeURIComponent, which throws on a value that is not
// valid percent-encoding: `Cookie: dmp_sso=%E0%A4%A` made GET /auth/authorize and every form answer 500 (a server
// fault in the logs and metrics for anyone's asking). The portal's cookies (`dmp_portal`, `dmp_portal_signin`) were
// read the same way. Such a value is now no cookie at all: the pages answer as without it.

const BAD = '%E0%A4%A';
let s: SmartApp;
let portal: PortalServer;

beforeAll(async () => {
  s = await startSmartApp(0);
  portal = await startPortalServer();
}, 120_000);
afterAll(async () => {
  await s?.close();
  await portal?.close();
});

const url = () => authorizeUrl(`${s.url}/auth/authorize`, { ...APP, scope: SCOPE, aud: s.fhirBase, state: 'st', verifier: newVerifier() });

test('a malformed sign-in session cookie is no session: the sign-in page asks the password (200), not a 500', async () => {
  const res = await fetch(url(), { redirect: 'manual', headers: { cookie: `dmp_sso=${BAD}` } });
  expect(res.status).toBe(200);
  expect(await res.text()).toMatch(/name="password"/);
});

test('a malformed per-request cookie on a form post gets the French « expiré » page (400), not a 500', async () => {
  const browser = new Browser();
  const form = formOf(await (await browser.get(url())).text());
  const res = await fetch(`${s.url}${form.action}`, {
    method: 'POST', redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: `dmp_authz_${form.fields.tx}=${BAD}; dmp_sso=${BAD}` },
    body: new URLSearchParams({ ...form.fields, identifier: 'jeanne', password: 'x' }),
  });
  expect(res.status).toBe(400);
  expect(await res.text()).toMatch(/expiré ou n’est plus valide/);
});

test('malformed portal cookies are no session: a page sends to the sign-in and the callback refuses, never a 500', async () => {
  const page = await portal.page(`dmp_portal=${BAD}; dmp_portal_signin=${BAD}`, '/portal/');
  expect(page.status).toBeLessThan(500);
  expect(page.status).toBe(303);
  const callback = await portal.page(`dmp_portal=${BAD}; dmp_portal_signin=${BAD}`, '/portal/callback?code=a&state=b');
  expect(callback.status).toBe(400);
  expect(callback.html).toMatch(/expiré ou ne vient pas de ce navigateur/);
});
