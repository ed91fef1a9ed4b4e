import { setPatientCredential } from '../../../src/auth/patient-login';
import { decodeJwt } from '../../../src/auth/jose';
import { authorizeUrl, Browser, formOf, newVerifier, signInAndConsent, tokenRequest, type Person } from './launch-driver';
import { APP, FAST, PASSWORD, startSmartApp, type SmartApp } from './smart-app';

// The authorization server's sign-in session (issue 15, OpenID Connect single sign-on): after the password and the
// code, a later launch in the same browser skips them, never the record choice nor the consent. Driven over HTTP with
// a cookie jar; the server's clock is injected to run the session out.

const SCOPE = 'openid fhirUser launch/patient offline_access patient/*.rs';
let s: SmartApp;
let clockMs = Date.parse('2030-01-10T09:00:00Z');
const MINUTE = 60_000;

beforeAll(async () => {
  s = await startSmartApp(3186, {}, { clock: () => new Date(clockMs) });
}, 120_000);
afterAll(() => s?.close());

const paul = (record = 'Mon dossier'): Person => ({ identifier: 'paul.durand', password: PASSWORD, code: () => s.lastCode(), record });
const jeanne = (): Person => ({ identifier: 'jeanne', password: PASSWORD, code: () => s.lastCode() });

interface Launch {
  url: string;
  verifier: string;
  state: string;
}

function newLaunch(params: Record<string, string | undefined> = {}, redirectUri = APP.redirectUri): Launch {
  const verifier = newVerifier();
  const state = `st-${Math.random()}`;
  return { url: authorizeUrl(`${s.url}/auth/authorize`, { ...APP, redirectUri, scope: SCOPE, aud: s.fhirBase, state, verifier, params }), verifier, state };
}

/** A full sign-in (password and code) in `browser`, consent given; answers the token response. */
async function signIn(browser: Browser, person: Person): Promise<Record<string, unknown>> {
  const launch = newLaunch();
  const back = await signInAndConsent(browser, s.url, launch.url, person);
  return exchange(back, launch);
}

async function exchange(back: URL, launch: Launch): Promise<Record<string, unknown>> {
  expect(back.searchParams.get('state')).toBe(launch.state);
  const token = await tokenRequest(s.tokenUrl, { grant_type: 'authorization_code', code: back.searchParams.get('code') as string, redirect_uri: APP.redirectUri, client_id: APP.clientId, code_verifier: launch.verifier });
  expect(token.status).toBe(200);
  return token.body;
}

/** The options of a record page (value, label). */
const recordOptions = (html: string) => [...html.matchAll(/value="([^"]+)"[^>]*> <label[^>]*>([^<]+)</g)].map((m) => ({ value: m[1], label: m[2] }));

/** Follows a launch in a browser already signed in: record choice (by label) when asked, then consent; answers the token. */
async function launchWithSession(browser: Browser, record?: string): Promise<{ token: Record<string, unknown>; pages: string[] }> {
  const launch = newLaunch();
  let res = await browser.get(launch.url);
  expect(res.status).toBe(200);
  let html = await res.text();
  let form = formOf(html);
  const pages = [form.action];
  if (form.action === '/auth/authorize/record') {
    const chosen = recordOptions(html).find((o) => o.label.includes(record ?? 'Mon dossier'));
    res = await browser.post(s.url + form.action, { ...form.fields, record: chosen?.value ?? 'none' });
    html = await res.text();
    form = formOf(html);
    pages.push(form.action);
  }
  expect(form.action).toBe('/auth/authorize/consent');
  const scopes = [...html.matchAll(/name="scope" value="([^"]+)" checked/g)].map((m) => m[1]);
  res = await browser.post(s.url + form.action, { ...form.fields, scope: scopes, decision: 'allow' });
  expect(res.status).toBe(303);
  return { token: await exchange(new URL(res.headers.get('location') as string), launch), pages };
}

/** The first page a launch in `browser` shows: its form's action and its HTML. */
async function firstPage(browser: Browser, launch = newLaunch()): Promise<{ status: number; action?: string; html: string; location: string | null }> {
  const res = await browser.get(launch.url);
  const html = await res.text();
  return { status: res.status, action: /<form method="post" action="([^"]+)"/.exec(html)?.[1], html, location: res.headers.get('location') };
}

beforeEach(() => {
  clockMs = Date.parse('2030-01-10T09:00:00Z');
});

test('a guardian signed in on his own record opens his child\'s and his own again without password or code', async () => {
  const browser = new Browser();
  const first = await signIn(browser, paul());
  expect(first.patient).toBe('p2');
  const signedInAt = Math.floor(clockMs / 1000);
  const codes = s.codes.length;

  clockMs += 5 * MINUTE;
  const child = await launchWithSession(browser, 'Martin');
  // Straight to the record choice, then the consent: no password page, no code sent.
  expect(child.pages).toEqual(['/auth/authorize/record', '/auth/authorize/consent']);
  expect(child.token.patient).toBe('p1');
  const idToken = decodeJwt(child.token.id_token as string);
  expect(idToken.fhirUser).toBe(`${s.fhirBase}/RelatedPerson/rp1`);
  // The id_token says when the password was typed, and how.
  expect(idToken.auth_time).toBe(signedInAt);
  expect(idToken.amr).toEqual(['pwd', 'otp']);
  const read = await fetch(`${s.fhirBase}/Patient/p1`, { headers: { Authorization: `Bearer ${child.token.access_token as string}` } });
  expect(read.status).toBe(200);

  clockMs += 5 * MINUTE;
  const own = await launchWithSession(browser, 'Mon dossier');
  expect(own.token.patient).toBe('p2');
  expect(s.codes.length).toBe(codes);
}, 60_000);

test('the session cookie is HttpOnly, SameSite=Lax, sent only to the authorization pages, and lasts 30 minutes', async () => {
  const launch = newLaunch();
  const browser = new Browser();
  let res = await browser.get(launch.url);
  let form = formOf(await res.text());
  res = await browser.post(s.url + form.action, { ...form.fields, identifier: 'jeanne', password: PASSWORD });
  form = formOf(await res.text());
  res = await browser.post(s.url + form.action, { ...form.fields, code: s.lastCode() });
  const cookie = res.headers.getSetCookie().find((c) => c.startsWith('dmp_sso='));
  expect(cookie).toMatch(/; Max-Age=1800;/);
  expect(cookie).toMatch(/; Path=\/auth\/authorize;/);
  expect(cookie).toMatch(/; HttpOnly/);
  expect(cookie).toMatch(/; SameSite=Lax/);
  // Only a digest is stored: the table gives nobody a usable cookie.
  const secret = /^dmp_sso=([^;]+)/.exec(cookie as string)?.[1] as string;
  const { rows } = await s.a.testDb.db.query<{ id_digest: string }>('SELECT id_digest FROM smart_sign_in_session');
  expect(rows.map((r) => r.id_digest)).not.toContain(secret);
});

test('a patient with no child goes from the session straight to the consent screen', async () => {
  const browser = new Browser();
  await signIn(browser, jeanne());
  const again = await launchWithSession(browser);
  expect(again.pages).toEqual(['/auth/authorize/consent']);
  expect(again.token.patient).toBe('p1');
}, 60_000);

test('a stolen session cookie alone gives no token without the consent screen, and never to an unregistered address', async () => {
  const victim = new Browser();
  await signIn(victim, paul());
  const cookie = victim.cookie('dmp_sso');
  expect(cookie).toBeTruthy();

  // The victim opens an authorization; a thief holding only the session cookie replays its forms: refused.
  const pending = await firstPage(victim);
  expect(pending.action).toBe('/auth/authorize/record');
  const stolenForm = formOf(pending.html);
  const replay = await fetch(`${s.url}${stolenForm.action}`, {
    method: 'POST', redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: `dmp_sso=${cookie}` },
    body: new URLSearchParams({ ...stolenForm.fields, record: 'self' }),
  });
  expect(replay.status).toBe(400);
  expect(await replay.text()).toMatch(/expiré ou n’est plus valide/);

  // To an address not registered for the app: a page, no redirect, whatever the cookie.
  const foreign = await fetch(newLaunch({}, 'https://evil.example/callback').url, { redirect: 'manual', headers: { cookie: `dmp_sso=${cookie}` } });
  expect(foreign.status).toBe(400);
  expect(foreign.headers.get('location')).toBeNull();

  // With a registered address, the cookie spares the password but the record choice and the consent are still
  // asked: nothing is redirected to the app without them.
  const direct = await fetch(newLaunch().url, { redirect: 'manual', headers: { cookie: `dmp_sso=${cookie}` } });
  expect(direct.status).toBe(200);
  expect(direct.headers.get('location')).toBeNull();
  expect(await direct.text()).toMatch(/action="\/auth\/authorize\/record"/);
  // A form posted from another site (its Origin), even with every cookie, is refused.
  const crossSite = await victim.post(`${s.url}/auth/authorize/record`, { ...formOf((await firstPage(victim)).html).fields, record: 'self' }, { origin: 'https://evil.example' });
  expect(crossSite.status).toBe(400);
}, 60_000);

test('prompt=login asks the password again; prompt=none never answers silently; an unknown prompt is refused', async () => {
  const browser = new Browser();
  await signIn(browser, jeanne());
  expect((await firstPage(browser, newLaunch({ prompt: 'login' }))).action).toBe('/auth/authorize/login');
  // The session is still there for a launch without prompt.
  expect((await firstPage(browser)).action).toBe('/auth/authorize/consent');
  for (const [prompt, error] of [['none', 'interaction_required'], ['bogus', 'invalid_request'], ['none login', 'invalid_request']]) {
    const answer = await firstPage(browser, newLaunch({ prompt }));
    expect(answer.status).toBe(302);
    expect(new URL(answer.location as string).searchParams.get('error')).toBe(error);
  }
}, 60_000);

test('max_age asks the password again when it was typed longer ago than the app accepts', async () => {
  const browser = new Browser();
  await signIn(browser, jeanne());
  clockMs += 10 * MINUTE;
  expect((await firstPage(browser, newLaunch({ max_age: '300' }))).action).toBe('/auth/authorize/login');
  expect((await firstPage(browser, newLaunch({ max_age: '3600' }))).action).toBe('/auth/authorize/consent');
  const bad = await firstPage(browser, newLaunch({ max_age: '-1' }));
  expect(new URL(bad.location as string).searchParams.get('error')).toBe('invalid_request');
}, 60_000);

test('the session ends 30 minutes after the password, and after 15 minutes unused', async () => {
  const browser = new Browser();
  await signIn(browser, jeanne());
  // Used every 10 minutes: alive until the absolute end.
  for (const minutes of [10, 20, 29]) {
    clockMs = Date.parse('2030-01-10T09:00:00Z') + minutes * MINUTE;
    expect((await firstPage(browser)).action).toBe('/auth/authorize/consent');
  }
  clockMs = Date.parse('2030-01-10T09:00:00Z') + 31 * MINUTE;
  const expired = await browser.get(newLaunch().url);
  expect(formOf(await expired.text()).action).toBe('/auth/authorize/login');
  // The dead cookie is forgotten.
  expect(expired.headers.getSetCookie().some((c) => /^dmp_sso=;/.test(c))).toBe(true);

  const idle = new Browser();
  await signIn(idle, jeanne());
  clockMs += 16 * MINUTE;
  expect((await firstPage(idle)).action).toBe('/auth/authorize/login');
}, 90_000);

test('signing out at /auth/logout ends the session; revoking a token at /auth/revoke keeps it', async () => {
  const browser = new Browser();
  const token = await signIn(browser, jeanne());
  const revoke = await tokenRequestRaw('/auth/revoke', { token: token.refresh_token as string, client_id: APP.clientId });
  expect(revoke).toBe(200);
  const again = await launchWithSession(browser);
  expect(again.pages).toEqual(['/auth/authorize/consent']);
  // The sign-out needs the refresh token of the app it signs out of.
  expect(await tokenRequestRaw('/auth/logout', { client_id: APP.clientId })).toBe(400);
  expect(await tokenRequestRaw('/auth/logout', { token: again.token.refresh_token as string, client_id: APP.clientId })).toBe(200);
  expect((await firstPage(browser)).action).toBe('/auth/authorize/login');
  // The family is revoked too.
  const refreshed = await tokenRequest(s.tokenUrl, { grant_type: 'refresh_token', refresh_token: again.token.refresh_token as string, client_id: APP.clientId });
  expect(refreshed.status).toBe(400);
}, 60_000);

test('a new password ends the sessions of its account, and the authorizations they opened give no code', async () => {
  const browser = new Browser();
  await signIn(browser, paul());
  // An authorization opened by the session, at the record page when the password changes (a theft noticed).
  const open = await firstPage(browser);
  expect(open.action).toBe('/auth/authorize/record');
  await setPatientCredential(s.a.testDb.db, { login: 'paul.durand', patientId: 'p2', password: PASSWORD, scrypt: FAST });
  expect((await firstPage(browser)).action).toBe('/auth/authorize/login');
  let res = await browser.post(`${s.url}/auth/authorize/record`, { ...formOf(open.html).fields, record: 'self' });
  const consent = formOf(await res.text());
  res = await browser.post(s.url + consent.action, { ...consent.fields, scope: 'patient/*.rs', decision: 'allow' });
  expect(res.status).toBe(400);
  expect(res.headers.get('location')).toBeNull();
}, 60_000);

test('after the child\'s 18th birthday the session no longer offers the child\'s record', async () => {
  // Jeanne (p1, born 2015-04-02) is of age from 2033-04-01T22:00:00Z (midnight in Paris).
  clockMs = Date.parse('2033-04-01T21:50:00Z');
  const browser = new Browser();
  await signIn(browser, paul());
  const before = await firstPage(browser);
  expect(before.action).toBe('/auth/authorize/record');
  expect(recordOptions(before.html).map((o) => o.label)).toEqual([expect.stringContaining('Mon dossier'), expect.stringContaining('Martin')]);
  clockMs = Date.parse('2033-04-01T22:01:00Z');
  const after = await launchWithSession(browser);
  expect(after.pages).toEqual(['/auth/authorize/consent']);
  expect(after.token.patient).toBe('p2');
}, 60_000);

test('discovery lists the prompt values and the auth_time claim', async () => {
  const openid = (await (await fetch(`${s.url}/.well-known/openid-configuration`)).json()) as Record<string, string[]>;
  expect(openid.prompt_values_supported).toEqual(['none', 'login', 'consent', 'select_account']);
  expect(openid.claims_supported).toContain('auth_time');
});

async function tokenRequestRaw(path: string, form: Record<string, string>): Promise<number> {
  const res = await fetch(`${s.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(form) });
  return res.status;
}
