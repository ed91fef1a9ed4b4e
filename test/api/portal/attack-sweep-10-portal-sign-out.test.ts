import { setPatientCredential } from '../../../src/auth/patient-login';
import { SmtpReceiver } from '../../unit/notify/receivers';
import { Browser, formOf } from '../smart/launch-driver';
import { startPortalServer, type PortalServer } from './portal-harness';
import { signInThroughCode } from './portal-sign-in-steps';

// Issue 11, attack sweep 10 (portal): the portal's session is an encrypted cookie holding the patient's tokens.
// « Se déconnecter » revoked the refresh token and cleared the cookie in this browser, but a copy of the cookie taken
// before (a shared computer's cookie store, a synced profile, malware) still held a valid access token and opened every
// page of the record for the token's remaining 15 minutes; so did the cookie left behind by « Changer de dossier ».
// Signed in for real (SMART launch, code read from a real SMTP receiver); TOKEN_CUTOFF_CACHE_MS=0: no revocation delay.

const smtp = new SmtpReceiver();
let s: PortalServer;
const PASSWORD = 'Terre des hommes, Saint-Exupéry 1939';

beforeAll(async () => {
  await smtp.start();
  s = await startPortalServer({ SMTP_URL: `smtp://127.0.0.1:${smtp.port}`, NOTIFY_POLL_MS: '100', TOKEN_CUTOFF_CACHE_MS: '0' });
  await setPatientCredential(s.testDb.db, { login: 'helene.marchal', patientId: 'helene', password: PASSWORD, scrypt: { N: 1024, r: 8, p: 1 } });
}, 180_000);
afterAll(async () => {
  await s?.close();
  await smtp.stop();
});

/** Hélène signs in to the portal from /portal/login (password, code, consent) in `browser`. */
async function signIn(browser: Browser): Promise<void> {
  const html = await signInThroughCode(s.server.url, browser, smtp, 'helene.marchal', PASSWORD);
  const form = formOf(html);
  expect(form.action).toBe('/auth/authorize/consent');
  const scopes = [...html.matchAll(/name="scope" value="([^"]+)" checked/g)].map((m) => m[1]);
  let res = await browser.post(s.server.url + form.action, { ...form.fields, scope: scopes, decision: 'allow' }, { origin: s.server.url });
  res = await browser.get(res.headers.get('location') as string); // the portal's callback
  expect(res.headers.get('location')).toBe('/portal/');
}

const csrfOf = async (browser: Browser): Promise<string> => /name="csrf" value="([^"]+)"/.exec(await (await browser.get(`${s.server.url}/portal/settings`)).text())?.[1] as string;

/** A page opened with nothing but a copy of the portal's session cookie. */
const withCopy = (copy: string, path: string) => fetch(`${s.server.url}${path}`, { redirect: 'manual', headers: { cookie: `dmp_portal=${copy}` } });

test('a copy of the portal cookie taken before « Se déconnecter » opens no page of the record after it', async () => {
  const browser = new Browser();
  await signIn(browser);
  const copy = browser.cookie('dmp_portal') as string;
  expect((await withCopy(copy, '/portal/documents')).status).toBe(200);
  // The thief reads the forms' CSRF token with his copy while the session lives.
  const csrf = /name="csrf" value="([^"]+)"/.exec(await (await withCopy(copy, '/portal/settings')).text())?.[1] as string;
  expect((await browser.post(`${s.server.url}/portal/logout`, { csrf: await csrfOf(browser) })).status).toBe(200);
  for (const path of ['/portal/', '/portal/documents', '/portal/access', '/portal/history']) {
    const res = await withCopy(copy, path);
    expect([path, res.status]).toEqual([path, 303]);
    expect(res.headers.get('location')).toMatch(/^\/portal\/login/);
  }
  // Nor does it write: a form posted with the copy and its CSRF token adds nothing, and sends to the sign-in.
  const form = await fetch(`${s.server.url}/portal/add/allergy`, {
    method: 'POST', redirect: 'manual', headers: { cookie: `dmp_portal=${copy}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ csrf, text: 'pollen' }),
  });
  expect(form.headers.get('location')).toBe('/portal/login');
  const helene = await s.token({ kind: 'patient', id: 'helene' });
  expect((await s.fhir(helene, 'GET', '/AllergyIntolerance?patient=helene&_summary=count')).body.total).toBe(0);
}, 120_000);

test('the cookie « Changer de dossier » leaves behind opens no page either', async () => {
  const browser = new Browser();
  await signIn(browser);
  const copy = browser.cookie('dmp_portal') as string;
  expect((await browser.post(`${s.server.url}/portal/switch`, { csrf: await csrfOf(browser) })).status).toBe(303);
  const res = await withCopy(copy, '/portal/documents');
  expect(res.status).toBe(303);
  expect(res.headers.get('location')).toMatch(/^\/portal\/login/);
}, 120_000);

test('a copy of the cookie of a session still signed in opens the record (the comparison can fail)', async () => {
  const browser = new Browser();
  await signIn(browser);
  const res = await withCopy(browser.cookie('dmp_portal') as string, '/portal/documents');
  expect(res.status).toBe(200);
}, 120_000);
