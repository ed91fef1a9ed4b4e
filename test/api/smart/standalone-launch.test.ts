import Client from 'fhir-kit-client';
import { createLocalJWKSet, decodeJwt, jwtVerify, type JWK } from '../../../src/auth/jose';
import { authorizeUrl, Browser, newVerifier, signInAndConsent, tokenRequest, type Person } from './launch-driver';
import { APP, PASSWORD, startSmartApp, type SmartApp } from './smart-app';

// A SMART App Launch 2.x standalone patient launch, driven over HTTP the way fhirclient does it (discovery, PKCE
// S256, state, the code exchange), with a person filling the French sign-in pages, then a real FHIR client
// (fhir-kit-client) working on the record with the access token.

let s: SmartApp;
beforeAll(async () => {
  s = await startSmartApp(3180);
}, 120_000);
afterAll(() => s.close());

const SCOPE = 'openid fhirUser launch/patient offline_access patient/*.rs';
const jeanne = (): Person => ({ identifier: 'jeanne', password: PASSWORD, code: () => s.lastCode() });

/** Discovery, authorization, sign-in, consent, redirect, state check and code exchange; returns the token response. */
async function launch(person: Person, o: { scope?: string; nonce?: string } = {}) {
  const discovery = (await (await fetch(`${s.fhirBase}/.well-known/smart-configuration`)).json()) as Record<string, string>;
  const verifier = newVerifier();
  const state = `st-${Math.random()}`;
  const url = authorizeUrl(discovery.authorization_endpoint, { ...APP, scope: o.scope ?? SCOPE, aud: s.fhirBase, state, verifier, nonce: o.nonce });
  const back = await signInAndConsent(new Browser(), s.url, url, person);
  expect(`${back.origin}${back.pathname}`).toBe(APP.redirectUri);
  expect(back.searchParams.get('state')).toBe(state);
  const code = back.searchParams.get('code') as string;
  const token = await tokenRequest(discovery.token_endpoint, { grant_type: 'authorization_code', code, redirect_uri: APP.redirectUri, client_id: APP.clientId, code_verifier: verifier });
  return { token, code, verifier };
}

test('a standalone launch signs Jeanne in with password and code, then the app reads her record with a FHIR client', async () => {
  const { token } = await launch(jeanne(), { nonce: 'n-123' });
  expect(token.status).toBe(200);
  expect(token.headers.get('cache-control')).toBe('no-store');
  expect(token.body).toMatchObject({ token_type: 'Bearer', patient: 'p1', scope: SCOPE, expires_in: 900 });
  expect(typeof token.body.refresh_token).toBe('string');

  // The id_token is signed with a key of /auth/jwks, issued by the discovered issuer, for this client, with the nonce.
  const jwks = (await (await fetch(`${s.url}/auth/jwks`)).json()) as { keys: JWK[] };
  const openid = (await (await fetch(`${s.url}/.well-known/openid-configuration`)).json()) as { issuer: string };
  const { payload } = await jwtVerify(token.body.id_token as string, createLocalJWKSet(jwks), { issuer: openid.issuer, audience: APP.clientId });
  expect(payload).toMatchObject({ nonce: 'n-123', fhirUser: `${s.fhirBase}/Patient/p1`, sub: 'Patient/p1' });

  const client = new Client({ baseUrl: s.fhirBase, customHeaders: { Authorization: `Bearer ${token.body.access_token as string}` } });
  const patient = (await client.read({ resourceType: 'Patient', id: 'p1' })) as unknown as { id: string };
  expect(patient.id).toBe('p1');
  const observations = (await client.search({ resourceType: 'Observation', searchParams: { patient: 'p1' } })) as unknown as { entry?: { resource: { id: string } }[] };
  expect((observations.entry ?? []).map((e) => e.resource.id).sort()).toEqual(expect.arrayContaining(['d1-obs']));
  // Read-only scopes: writing is refused.
  const write = await fetch(`${s.fhirBase}/AllergyIntolerance`, {
    method: 'POST', headers: { Authorization: `Bearer ${token.body.access_token as string}`, 'Content-Type': 'application/fhir+json' },
    body: JSON.stringify({ resourceType: 'AllergyIntolerance', patient: { reference: 'Patient/p1' }, code: { text: 'pollen' } }),
  });
  expect(write.status).toBe(403);
}, 60_000);

test('the sign-in pages are French forms with the autocomplete values password managers and phones use', async () => {
  const verifier = newVerifier();
  const browser = new Browser();
  const res = await browser.get(authorizeUrl(`${s.url}/auth/authorize`, { ...APP, scope: SCOPE, aud: s.fhirBase, state: 'x', verifier }));
  const html = await res.text();
  expect(res.headers.get('content-security-policy')).toMatch(/frame-ancestors 'none'/);
  expect(html).toMatch(/<html lang="fr">/);
  expect(html).toMatch(/autocomplete="username"/);
  expect(html).toMatch(/autocomplete="current-password"/);
  expect(html).not.toMatch(/<script/);
});

test('a guardian chooses his child\'s record at sign-in and the token acts on that record as its guardian', async () => {
  const { token } = await launch({ identifier: 'paul.durand', password: PASSWORD, code: () => s.lastCode(), record: 'Martin' });
  expect(token.status).toBe(200);
  expect(token.body.patient).toBe('p1');
  expect(decodeJwt(token.body.id_token as string).fhirUser).toBe(`${s.fhirBase}/RelatedPerson/rp1`);
  const read = await fetch(`${s.fhirBase}/Patient/p1`, { headers: { Authorization: `Bearer ${token.body.access_token as string}` } });
  expect(read.status).toBe(200);
  // His own record is not in this token: the guardian acts on the child's record only.
  const own = await fetch(`${s.fhirBase}/Patient/p2`, { headers: { Authorization: `Bearer ${token.body.access_token as string}` } });
  expect(own.status).toBe(404);
}, 60_000);

test('the same guardian may choose his own record instead', async () => {
  const { token } = await launch({ identifier: 'paul.durand', password: PASSWORD, code: () => s.lastCode(), record: 'Mon dossier' });
  expect(token.body.patient).toBe('p2');
  const read = await fetch(`${s.fhirBase}/Patient/p2`, { headers: { Authorization: `Bearer ${token.body.access_token as string}` } });
  expect(read.status).toBe(200);
}, 60_000);

test('a token granted patient/Observation.rs reads observations but not conditions or allergies', async () => {
  const { token } = await launch(jeanne(), { scope: 'openid fhirUser launch/patient patient/Observation.rs' });
  expect(token.body.scope).toBe('openid fhirUser launch/patient patient/Observation.rs');
  const auth = { Authorization: `Bearer ${token.body.access_token as string}` };
  expect((await fetch(`${s.fhirBase}/Observation?patient=p1`, { headers: auth })).status).toBe(200);
  expect((await fetch(`${s.fhirBase}/Condition/cond1`, { headers: auth })).status).toBe(403);
  expect((await fetch(`${s.fhirBase}/AllergyIntolerance/a1`, { headers: auth })).status).toBe(403);
  expect((await fetch(`${s.fhirBase}/Condition?patient=p1`, { headers: auth })).status).toBe(403);
}, 60_000);

test('a permission unchecked on the consent screen is not granted', async () => {
  const { token } = await launch({ ...jeanne(), uncheck: ['offline_access'] });
  expect(token.status).toBe(200);
  expect(token.body.refresh_token).toBeUndefined();
  expect(String(token.body.scope).split(' ')).not.toContain('offline_access');
}, 60_000);

test('a constrained v2 scope is granted in the grammar the server enforces, and any other query is not', async () => {
  const { token } = await launch(jeanne(), { scope: 'openid patient/Observation.rs?category=laboratory patient/Observation.rs?date=ge2020-01-01 patient/Condition.rs' });
  expect(token.body.scope).toBe('openid patient/Observation.rs?category=laboratory patient/Condition.rs');
}, 60_000);

test('refusing on the consent screen sends the app access_denied with its state', async () => {
  const verifier = newVerifier();
  const url = authorizeUrl(`${s.url}/auth/authorize`, { ...APP, scope: SCOPE, aud: s.fhirBase, state: 'st-deny', verifier });
  const back = await signInAndConsent(new Browser(), s.url, url, { ...jeanne(), decision: 'deny' });
  expect(back.searchParams.get('error')).toBe('access_denied');
  expect(back.searchParams.get('state')).toBe('st-deny');
  expect(back.searchParams.get('code')).toBeNull();
}, 60_000);

test('discovery, the OpenID configuration and the CapabilityStatement name the same endpoints', async () => {
  const smart = (await (await fetch(`${s.url}/.well-known/smart-configuration`)).json()) as Record<string, unknown>;
  const openid = (await (await fetch(`${s.fhirBase}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
  const metadata = (await (await fetch(`${s.fhirBase}/metadata`)).json()) as { rest: { security: { extension: { url: string; extension: { url: string; valueUri: string }[] }[] } }[] };
  const oauth = metadata.rest[0].security.extension.find((e) => e.url === 'http://fhir-registry.smarthealthit.org/StructureDefinition/oauth-uris');
  const uri = (name: string) => oauth?.extension.find((e) => e.url === name)?.valueUri;
  expect(smart).toMatchObject({ issuer: s.url, authorization_endpoint: `${s.url}/auth/authorize`, token_endpoint: s.tokenUrl, code_challenge_methods_supported: ['S256'] });
  expect(openid).toMatchObject({ issuer: s.url, token_endpoint: s.tokenUrl });
  expect([uri('authorize'), uri('token'), uri('revoke')]).toEqual([smart.authorization_endpoint, smart.token_endpoint, smart.revocation_endpoint]);
});
