import { authorizeUrl, Browser, formOf, newVerifier } from './launch-driver';
import { authorizeCode, exchange, jeanneOf, refresh, SCOPE } from './launch';
import { setPatientCredential } from '../../../src/auth/patient-login';
import { APP, FAST, PASSWORD, startSmartApp, type SmartApp } from './smart-app';

// The authorization and token endpoints under attack: PKCE downgrades, wrong redirects, replayed codes, stolen
// refresh tokens, forged form posts. Every refusal is an OAuth error (RFC 6749 §4.1.2.1, §5.2), never a 5xx.

let s: SmartApp;
beforeAll(async () => {
  s = await startSmartApp(3181);
}, 120_000);
afterAll(() => s.close());

const url = (params: Record<string, string | undefined>, o: { redirectUri?: string; clientId?: string } = {}) =>
  authorizeUrl(`${s.url}/auth/authorize`, { clientId: o.clientId ?? APP.clientId, redirectUri: o.redirectUri ?? APP.redirectUri, scope: SCOPE, aud: s.fhirBase, state: 'st-1', verifier: newVerifier(), params });

describe('authorization request', () => {
  test.each([
    ['no PKCE challenge', { code_challenge: undefined, code_challenge_method: undefined }, 'invalid_request'],
    ['PKCE downgraded to plain', { code_challenge_method: 'plain' }, 'invalid_request'],
    ['a challenge that is not a SHA-256', { code_challenge: 'short' }, 'invalid_request'],
    ['implicit flow', { response_type: 'token' }, 'unsupported_response_type'],
    ['another FHIR server as aud', { aud: 'https://evil.example/fhir' }, 'invalid_request'],
    ['only scopes the client may not have', { scope: 'user/*.cruds system/*.cruds' }, 'invalid_scope'],
    ['an EHR launch', { launch: 'xyz' }, 'invalid_request'],
  ])('%s goes back to the app with %s and the state', async (_what, params, error) => {
    const res = await fetch(url(params), { redirect: 'manual' });
    expect(res.status).toBe(302);
    const back = new URL(res.headers.get('location') as string);
    expect(`${back.origin}${back.pathname}`).toBe(APP.redirectUri);
    expect(back.searchParams.get('error')).toBe(error);
    expect(back.searchParams.get('state')).toBe('st-1');
  });

  test.each([
    ['an unregistered redirect URI', { redirectUri: 'https://evil.example/callback' }],
    ['a registered URI with something appended', { redirectUri: `${APP.redirectUri}/../../evil` }],
    ['a registered URI with a query added', { redirectUri: 'https://app.example/callback?x=1' }],
    ['an unknown client', { clientId: 'who-knows', redirectUri: 'https://who.example/cb' }],
  ])('%s gets a page, never a redirect (no open redirector)', async (_what, o) => {
    const res = await fetch(url({}, o), { redirect: 'manual' });
    expect(res.status).toBe(400);
    expect(res.headers.get('location')).toBeNull();
    expect(await res.text()).toMatch(/n’est pas reconnue/);
  });

  test('in development mode an unregistered client may use a loopback redirect URI (RFC 8252)', async () => {
    const res = await fetch(url({}, { clientId: 'my-dev-app', redirectUri: 'http://127.0.0.1:9999/callback' }), { redirect: 'manual' });
    expect(res.status).toBe(200);
  });

  test('a form posted without the browser cookie, or with another CSRF token, is refused', async () => {
    const browser = new Browser();
    const page = await (await browser.get(url({}))).text();
    const form = formOf(page);
    const stranger = new Browser();
    const noCookie = await stranger.post(s.url + form.action, { ...form.fields, identifier: 'jeanne', password: 'x' });
    expect(noCookie.status).toBe(400);
    expect(await noCookie.text()).toMatch(/expiré ou n’est plus valide/);
    const badCsrf = await browser.post(s.url + form.action, { ...form.fields, csrf: 'forged', identifier: 'jeanne', password: 'x' });
    expect(badCsrf.status).toBe(400);
    const otherSite = await browser.post(s.url + form.action, { ...form.fields, identifier: 'jeanne', password: 'x' }, { origin: 'https://evil.example' });
    expect(otherSite.status).toBe(400);
  });

  test('a wrong password is told in French on the same page, with the same sign-in lock as /auth/login', async () => {
    const browser = new Browser();
    const form = formOf(await (await browser.get(url({}))).text());
    const res = await browser.post(s.url + form.action, { ...form.fields, identifier: 'jeanne', password: 'not the password' });
    expect(res.status).toBe(400);
    expect(await res.text()).toMatch(/L’identifiant ou le mot de passe est incorrect/);
  });
});

describe('authorization code', () => {
  test('a wrong PKCE verifier is refused and burns the code', async () => {
    const { code, verifier } = await authorizeCode(s, jeanneOf(s));
    const wrong = await exchange(s, code, newVerifier());
    expect(wrong).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
    expect((await exchange(s, code, verifier)).body.error).toBe('invalid_grant');
  }, 30_000);

  test('a missing verifier is refused (no downgrade to a code without PKCE)', async () => {
    const { code } = await authorizeCode(s, jeanneOf(s));
    const res = await exchange(s, code, '');
    expect(res.body.error).toBe('invalid_request');
  }, 30_000);

  test('another redirect URI than the authorization request\'s is refused', async () => {
    const { code, verifier } = await authorizeCode(s, jeanneOf(s));
    const res = await exchange(s, code, verifier, { redirect_uri: 'https://app.example/other' });
    expect(res.body.error).toBe('invalid_grant');
  }, 30_000);

  test('another client cannot redeem the code', async () => {
    const { code, verifier } = await authorizeCode(s, jeanneOf(s));
    const res = await exchange(s, code, verifier, { client_id: 'my-dev-app' });
    expect(res.body.error).toBe('invalid_grant');
    expect(res.body.error_description).toMatch(/another client/);
  }, 30_000);

  test('a code used twice is refused and revokes the refresh token it gave', async () => {
    const { code, verifier } = await authorizeCode(s, jeanneOf(s));
    const first = await exchange(s, code, verifier);
    expect(first.status).toBe(200);
    const again = await exchange(s, code, verifier);
    expect(again).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
    expect((await refresh(s, first.body.refresh_token as string)).body.error).toBe('invalid_grant');
  }, 30_000);

  test('a code expires after SMART_CODE_TTL', async () => {
    const slow = await startSmartApp(3182, { SMART_CODE_TTL: '1' });
    try {
      const { code, verifier } = await authorizeCode(slow, jeanneOf(slow));
      await new Promise((r) => setTimeout(r, 1200));
      const res = await exchange(slow, code, verifier);
      expect(res.body).toMatchObject({ error: 'invalid_grant', error_description: 'The authorization code has expired' });
    } finally {
      await slow.close();
    }
  }, 120_000);
});

describe('refresh tokens', () => {
  test('are rotated at each use; the old one presented again revokes the whole family', async () => {
    const { code, verifier } = await authorizeCode(s, jeanneOf(s));
    const first = await exchange(s, code, verifier);
    const r1 = first.body.refresh_token as string;
    const second = await refresh(s, r1);
    expect(second.status).toBe(200);
    expect(second.body).toMatchObject({ patient: 'p1', scope: SCOPE, token_type: 'Bearer' });
    const r2 = second.body.refresh_token as string;
    expect(r2).not.toBe(r1);
    const read = await fetch(`${s.fhirBase}/Patient/p1`, { headers: { Authorization: `Bearer ${second.body.access_token as string}` } });
    expect(read.status).toBe(200);
    // The thief replays r1: refused, and the legitimate r2 dies with it.
    expect((await refresh(s, r1)).body).toMatchObject({ error: 'invalid_grant', error_description: expect.stringMatching(/already used/) });
    expect((await refresh(s, r2)).body).toMatchObject({ error: 'invalid_grant', error_description: 'The refresh token was revoked' });
  }, 30_000);

  test('may narrow the scopes, never widen them', async () => {
    const { code, verifier } = await authorizeCode(s, jeanneOf(s), 'openid offline_access patient/Observation.rs');
    const first = await exchange(s, code, verifier);
    const wider = await refresh(s, first.body.refresh_token as string, { scope: 'offline_access patient/*.rs' });
    expect(wider.body.error).toBe('invalid_scope');
  }, 30_000);

  test('are bound to their client', async () => {
    const { code, verifier } = await authorizeCode(s, jeanneOf(s));
    const first = await exchange(s, code, verifier);
    const other = await refresh(s, first.body.refresh_token as string, { client_id: 'my-dev-app' });
    expect(other.body.error).toBe('invalid_grant');
    expect((await refresh(s, first.body.refresh_token as string)).status).toBe(200);
  }, 30_000);

  test('are revoked when the patient\'s password is set again (after a theft, every app signs in again)', async () => {
    const { code, verifier } = await authorizeCode(s, jeanneOf(s));
    const first = await exchange(s, code, verifier);
    await setPatientCredential(s.a.testDb.db, { login: 'jeanne', patientId: 'p1', password: PASSWORD, scrypt: FAST });
    expect((await refresh(s, first.body.refresh_token as string)).body).toMatchObject({ error: 'invalid_grant', error_description: 'The refresh token was revoked' });
  }, 30_000);

  test('are revoked through the revocation endpoint (RFC 7009)', async () => {
    const { code, verifier } = await authorizeCode(s, jeanneOf(s));
    const first = await exchange(s, code, verifier);
    const res = await fetch(`${s.url}/auth/revoke`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ token: first.body.refresh_token as string, client_id: APP.clientId }) });
    expect(res.status).toBe(200);
    expect((await refresh(s, first.body.refresh_token as string)).body.error).toBe('invalid_grant');
  }, 30_000);
});

describe('token endpoint errors', () => {
  test.each([
    ['no grant type', {}, 400, 'invalid_request'],
    ['an unknown grant type', { grant_type: 'password', client_id: APP.clientId }, 400, 'unsupported_grant_type'],
    ['an unregistered client id (a development client under DEV_AUTH=1) with a code it was not given', { grant_type: 'authorization_code', client_id: 'nobody-registered-this', code: 'x', redirect_uri: 'x', code_verifier: 'x' }, 400, 'invalid_grant'],
    ['a public client asking client_credentials', { grant_type: 'client_credentials', client_id: APP.clientId, scope: 'system/*.rs' }, 400, 'unauthorized_client'],
    ['an unknown code', { grant_type: 'authorization_code', client_id: APP.clientId, code: 'nope', redirect_uri: APP.redirectUri, code_verifier: newVerifier() }, 400, 'invalid_grant'],
    ['a confidential client without its assertion', { grant_type: 'client_credentials', client_id: 'lab-feeder', scope: 'system/*.cruds' }, 401, 'invalid_client'],
  ])('%s: %j answers %i %s', async (_what, form, status, error) => {
    const res = await fetch(s.tokenUrl, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(form as Record<string, string>) });
    expect(res.status).toBe(status);
    expect(((await res.json()) as { error: string }).error).toBe(error);
  });

  test('a JSON body is refused as invalid_request (the token request is a form)', async () => {
    const res = await fetch(s.tokenUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ grant_type: 'client_credentials' }) });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toBe('invalid_request');
  });

  test('client secrets (HTTP Basic) are refused', async () => {
    const res = await fetch(s.tokenUrl, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: 'Basic ' + Buffer.from('lab-feeder:secret').toString('base64') }, body: 'grant_type=client_credentials' });
    expect(res.status).toBe(401);
    expect(((await res.json()) as { error: string }).error).toBe('invalid_client');
  });
});
