import { setPatientCredential } from '../../../src/auth/patient-login';
import { SmtpReceiver } from '../../unit/notify/receivers';
import { Browser, formOf } from '../smart/launch-driver';
import { CHILD_LEA, startPortalServer, textOf, type PortalServer } from './portal-harness';
import { signInThroughCode } from './portal-sign-in-steps';

// Issue 15: "a guardian switches between his own and his child's record". A SMART token names one record, so the
// portal changes record through a new authorization, on which the authorization server offers the person his own
// record and each child's whose guardian link names him. Its sign-in session spares the password and the code while
// it lives. Driven over HTTP with a cookie jar, the code read from a real SMTP receiver.

const smtp = new SmtpReceiver();
let s: PortalServer;
const PASSWORD = 'Vol de nuit au-dessus des Andes 1931';

beforeAll(async () => {
  await smtp.start();
  s = await startPortalServer({ SMTP_URL: `smtp://127.0.0.1:${smtp.port}`, NOTIFY_POLL_MS: '100' });
  for (const r of CHILD_LEA) await s.server.service.repo.update(s.systemContext(), r);
  await setPatientCredential(s.testDb.db, { login: 'helene.marchal', patientId: 'helene', password: PASSWORD, scrypt: { N: 1024, r: 8, p: 1 } });
}, 180_000);
afterAll(async () => {
  await s?.close();
  await smtp.stop();
});

/** Signs in to the portal from /portal/login, choosing the record whose label contains `record`; answers the jar. */
async function signIn(browser: Browser, record: string): Promise<string[]> {
  let html = await signInThroughCode(s.server.url, browser, smtp, 'helene.marchal', PASSWORD);
  let form = formOf(html);
  let res: Response;
  expect(form.action).toBe('/auth/authorize/record');
  const options = [...html.matchAll(/value="([^"]+)"[^>]*> <label[^>]*>([^<]+)</g)].map((m) => ({ value: m[1], label: m[2] }));
  const chosen = options.find((o) => o.label.includes(record));
  res = await browser.post(s.server.url + form.action, { ...form.fields, record: chosen?.value ?? 'none' }, { origin: s.server.url });
  html = await res.text();
  form = formOf(html);
  const scopes = [...html.matchAll(/name="scope" value="([^"]+)" checked/g)].map((m) => m[1].replace(/&#39;/g, "'"));
  res = await browser.post(s.server.url + form.action, { ...form.fields, scope: scopes, decision: 'allow' }, { origin: s.server.url });
  res = await browser.get(res.headers.get('location') as string); // the portal's callback
  expect(res.headers.get('location')).toBe('/portal/');
  return options.map((o) => o.label);
}

/** The CSRF token of the portal's forms, read from a page as a person's browser would. */
async function csrfOf(browser: Browser): Promise<string> {
  const html = await (await browser.get(`${s.server.url}/portal/settings`)).text();
  return /name="csrf" value="([^"]+)"/.exec(html)?.[1] as string;
}

/** "Changer de dossier": follows the redirects to the authorization server's first page; answers its HTML. */
async function switchRecord(browser: Browser): Promise<string> {
  const switched = await browser.post(`${s.server.url}/portal/switch`, { csrf: await csrfOf(browser) });
  expect(switched.status).toBe(303);
  let res = await browser.get(new URL(switched.headers.get('location') as string, s.server.url).toString());
  res = await browser.get(new URL(res.headers.get('location') as string, s.server.url).toString());
  expect(res.status).toBe(200);
  return res.text();
}

/** Chooses the record whose label contains `record` on the record page, consents, comes back to the portal. */
async function chooseRecord(browser: Browser, html: string, record: string): Promise<void> {
  let form = formOf(html);
  expect(form.action).toBe('/auth/authorize/record');
  const chosen = [...html.matchAll(/value="([^"]+)"[^>]*> <label[^>]*>([^<]+)</g)].find((m) => m[2].includes(record));
  let res = await browser.post(s.server.url + form.action, { ...form.fields, record: chosen?.[1] ?? 'none' }, { origin: s.server.url });
  html = await res.text();
  form = formOf(html);
  expect(form.action).toBe('/auth/authorize/consent');
  const scopes = [...html.matchAll(/name="scope" value="([^"]+)" checked/g)].map((m) => m[1]);
  res = await browser.post(s.server.url + form.action, { ...form.fields, scope: scopes, decision: 'allow' }, { origin: s.server.url });
  res = await browser.get(res.headers.get('location') as string); // the portal's callback
  expect(res.headers.get('location')).toBe('/portal/');
}

const headerOf = async (browser: Browser): Promise<string> => textOf(await (await browser.get(`${s.server.url}/portal/`)).text());

/** Hélène's sign-in events (AuditEvent type 110114) as her trail holds them. */
async function signInEvents(): Promise<{ outcomeDesc?: string }[]> {
  const res = await s.fhir(await s.token({ kind: 'patient', id: 'helene' }), 'GET', '/AuditEvent?patient=helene&_count=200');
  return ((res.body.entry ?? []) as { resource: { type: { code: string }; outcomeDesc?: string } }[]).map((e) => e.resource).filter((e) => e.type.code === '110114');
}

test('a mother signed in on her own record switches to her daughter\'s and back without her password', async () => {
  const browser = new Browser();
  const offered = await signIn(browser, 'Mon dossier');
  expect(offered).toEqual(['Mon dossier (HÉLÈNE CLAIRE MARCHAL)', expect.stringContaining('Léa MARCHAL')]);
  expect(await headerOf(browser)).toContain('Dossier de HÉLÈNE CLAIRE MARCHAL');
  const mails = smtp.received.length;
  const before = (await signInEvents()).length;

  // "Changer de dossier" lands on the record page: no password, no code sent.
  const page = await switchRecord(browser);
  expect(page).not.toMatch(/autocomplete="current-password"/);
  await chooseRecord(browser, page, 'Léa');
  let text = await headerOf(browser);
  expect(text).toContain('Dossier de Léa MARCHAL');
  expect(text).toContain('Synthèse du dossier de Léa MARCHAL');

  await chooseRecord(browser, await switchRecord(browser), 'Mon dossier');
  text = await headerOf(browser);
  expect(text).toContain('Dossier de HÉLÈNE CLAIRE MARCHAL');
  expect(smtp.received.length).toBe(mails);

  // Each use of the session is in her trail as a sign-in, saying how it was made.
  const events = await signInEvents();
  expect(events.length).toBe(before + 2);
  expect(events.filter((e) => /sign-in session/.test(e.outcomeDesc ?? '')).length).toBe(2);
  // Her own sign-ins are hers (the account holder proved who she is): among her own actions, never "someone".
  const mine = textOf(await (await browser.get(`${s.server.url}/portal/history?mine=1`)).text());
  expect(mine).toContain('vous vous êtes connecté à votre espace sans ressaisir le mot de passe (connexion déjà ouverte dans ce navigateur)');
  expect(mine).toMatch(/Le \d+ \S+ \d{4} à \d{2}:\d{2}, vous vous êtes connecté à votre espace\./);
  const others = textOf(await (await browser.get(`${s.server.url}/portal/history`)).text());
  expect(others).not.toContain('connecté à votre espace');
  expect(others).not.toContain('non identifié');
}, 120_000);

test('after "Se déconnecter", changing record or signing in again asks the password', async () => {
  const browser = new Browser();
  await signIn(browser, 'Mon dossier');
  const out = await browser.post(`${s.server.url}/portal/logout`, { csrf: await csrfOf(browser) });
  expect(out.status).toBe(200);
  let res = await browser.get(`${s.server.url}/portal/login?next=/portal/`);
  res = await browser.get(new URL(res.headers.get('location') as string, s.server.url).toString());
  expect(formOf(await res.text()).action).toBe('/auth/authorize/login');
}, 120_000);

test('a session stolen into another browser opens no portal: the record choice and consent are still asked there', async () => {
  const victim = new Browser();
  await signIn(victim, 'Mon dossier');
  const thief = new Browser();
  // The thief has copied only the authorization server's cookie; the portal's own session is not in it.
  const portal = await thief.get(`${s.server.url}/portal/`);
  expect(portal.status).toBe(303);
  expect(portal.headers.get('location')).toMatch(/^\/portal\/login/);
  const sso = victim.cookie('dmp_sso') as string;
  const launch = await thief.get(new URL((await thief.get(`${s.server.url}/portal/login?next=/portal/`)).headers.get('location') as string, s.server.url).toString());
  expect(formOf(await launch.text()).action).toBe('/auth/authorize/login');
  const withCookie = await fetch(new URL((await thief.get(`${s.server.url}/portal/login?next=/portal/`)).headers.get('location') as string, s.server.url), { redirect: 'manual', headers: { cookie: `dmp_sso=${sso}` } });
  expect(withCookie.status).toBe(200);
  expect(await withCookie.text()).toMatch(/action="\/auth\/authorize\/record"/);
}, 120_000);

test('a refused sign-in with her identifier reads "Quelqu’un a tenté de se connecter", never as hers', async () => {
  const wrong = await fetch(`${s.server.url}/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ identifier: 'helene.marchal', password: 'not her password at all' }) });
  expect(wrong.status).toBe(401);
  const browser = new Browser();
  await signIn(browser, 'Mon dossier');
  await new Promise((r) => setTimeout(r, 300)); // the audit's group commit
  const others = textOf(await (await browser.get(`${s.server.url}/portal/history`)).text());
  expect(others).toMatch(/Le \d+ \S+ \d{4} à \d{2}:\d{2}, Quelqu’un a tenté de se connecter à votre espace \(mot de passe ou code refusé\)\./);
}, 120_000);


test('closing her record ends her sign-in session', async () => {
  const browser = new Browser();
  await signIn(browser, 'Mon dossier');
  const closed = await browser.post(`${s.server.url}/portal/settings/close`, { csrf: await csrfOf(browser), reason: 'patient-request', confirm: 'yes' });
  expect(closed.status).toBe(303);
  expect(formOf(await switchRecord(browser)).action).toBe('/auth/authorize/login');
}, 120_000);
