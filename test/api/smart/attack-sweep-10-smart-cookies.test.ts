import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAccessApp, type AccessApp } from '../access/harness';
import { authorizeUrl, newVerifier } from './launch-driver';
import { APP } from './smart-app';

// Issue 11, attack sweep 10 (SMART): behind a TLS-terminating proxy that is not on this host, a request reaches the
// server over plain HTTP with no trusted X-Forwarded-Proto, although its public URL (BASE_URL) is https. The sign-in
// session cookie was Secure then (it reads BASE_URL), but the per-authorization cookie that binds an authorization's
// forms to the browser (`dmp_authz_<id>`) followed only the request's own scheme: without Secure, a browser also sends
// it over http to this host (a network attacker's http:// link), which hands that binding to whoever listens.

const BASE = 'https://dmp.example';
let a: AccessApp;
let server: Server;
let url: string;

beforeAll(async () => {
  a = await createAccessApp({
    baseUrl: BASE,
    env: { SMART_CLIENTS: JSON.stringify([{ client_id: APP.clientId, type: 'public', token_endpoint_auth_method: 'none', redirect_uris: [APP.redirectUri], scope: 'openid fhirUser launch/patient patient/*.rs', grant_types: ['authorization_code'] }]) },
  });
  server = createServer(a.app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}, 120_000);
afterAll(async () => {
  await new Promise<void>((resolve) => server?.close(() => resolve()));
  await a?.close();
});

test('with an https BASE_URL, the per-authorization cookie is Secure even when the request came over http', async () => {
  const launch = authorizeUrl(`${url}/auth/authorize`, { ...APP, scope: 'openid patient/*.rs', aud: `${BASE}/fhir`, state: 'st-1', verifier: newVerifier() });
  const res = await fetch(launch, { redirect: 'manual' });
  expect(res.status).toBe(200);
  const cookie = res.headers.getSetCookie().find((c) => c.startsWith('dmp_authz_'));
  expect(cookie).toMatch(/; HttpOnly/);
  expect(cookie).toMatch(/; SameSite=Strict/);
  expect(cookie).toMatch(/; Secure/);
});
