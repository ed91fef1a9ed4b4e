import { randomUUID } from 'node:crypto';
import { decodeJwt, generateKeyPair, SignJWT } from '../../../src/auth/jose';
import { IDNAT, RPPS } from '../access/fixture';
import { fetchRead } from '../../support/fetch-read';
import { tokenRequest } from './launch-driver';
import { BACKEND, startSmartApp, type SmartApp } from './smart-app';

// SMART Backend Services: a lab's system signs a client assertion (RS384) with its private key, whose public key
// the operator registered in SMART_CLIENTS; the token acts as the configured actor (a feeder).

let s: SmartApp;
beforeAll(async () => {
  s = await startSmartApp(3183, { CORS_ORIGINS: 'https://portal.example' });
}, 120_000);
afterAll(() => s.close());

const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

/** A client assertion as SMART Backend Services §4.1 describes it; `o` overrides claims or signs otherwise. */
async function assertion(o: { jti?: string; exp?: number; aud?: string; iss?: string; alg?: string; key?: Parameters<SignJWT['sign']>[0]; kid?: string } = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ jti: o.jti ?? randomUUID() })
    .setProtectedHeader({ alg: o.alg ?? 'RS384', kid: o.kid ?? s.backendKid, typ: 'JWT' })
    .setIssuer(o.iss ?? BACKEND.clientId)
    .setSubject(o.iss ?? BACKEND.clientId)
    .setAudience(o.aud ?? s.tokenUrl)
    .setExpirationTime(o.exp ?? now + 240)
    .sign(o.key ?? s.backendKey);
}

const backendToken = (clientAssertion: string, scope = 'system/*.cruds') =>
  tokenRequest(s.tokenUrl, { grant_type: 'client_credentials', scope, client_assertion_type: JWT_BEARER, client_assertion: clientAssertion });

test('a signed assertion gets a token acting as the configured feeder, which writes but cannot read records', async () => {
  const res = await backendToken(await assertion());
  expect(res.status).toBe(200);
  expect(res.body).toMatchObject({ token_type: 'Bearer', scope: 'system/*.cruds', expires_in: 900 });
  expect(res.body.refresh_token).toBeUndefined();
  expect(res.body.id_token).toBeUndefined();
  expect(decodeJwt(res.body.access_token as string)).toMatchObject({ dmp_kind: 'system', client_id: BACKEND.actorId, category: 'feeder', azp: BACKEND.clientId });
  const auth = { Authorization: `Bearer ${res.body.access_token as string}` };
  expect((await fetchRead(`${s.fhirBase}/Practitioner`, { headers: auth })).status).toBe(200);
  expect([403, 404]).toContain((await fetchRead(`${s.fhirBase}/Patient/p1`, { headers: auth })).status);
  const created = await fetchRead(`${s.fhirBase}/DocumentReference`, {
    method: 'POST', headers: { ...auth, 'Content-Type': 'application/fhir+json' },
    body: JSON.stringify({
      resourceType: 'DocumentReference', status: 'current', subject: { reference: 'Patient/p1' },
      type: { coding: [{ system: 'http://loinc.org', code: '11502-2' }] },
      // A feeder writes on behalf of an author the patient authorised (here the fixture's specialist).
      author: [{ identifier: { system: IDNAT, value: `8${RPPS.spec}` } }],
      content: [{ attachment: { contentType: 'text/plain', data: Buffer.from('Hémoglobine 14 g/dL').toString('base64') } }],
    }),
  });
  expect(created.status).toBe(201);
});

test('an ES384 client gets its token too, with its own registered scopes', async () => {
  const clientAssertion = await assertion({ iss: 'imaging-feeder', alg: 'ES384', kid: 'img-1', key: s.esKey });
  const res = await backendToken(clientAssertion, 'system/*.c system/*.rs');
  expect(res.status).toBe(200);
  expect(res.body.scope).toBe('system/*.c');
  expect(decodeJwt(res.body.access_token as string)).toMatchObject({ client_id: 'imagerie-centre', azp: 'imaging-feeder' });
});

test('a replayed assertion (same jti) is refused', async () => {
  const once = await assertion({ jti: 'jti-once' });
  expect((await backendToken(once)).status).toBe(200);
  const replay = await backendToken(once);
  expect(replay).toMatchObject({ status: 401, body: { error: 'invalid_client', error_description: expect.stringMatching(/already used/) } });
});

test.each([
  ['an expired assertion', async () => assertion({ exp: Math.floor(Date.now() / 1000) - 120 }), /expired/],
  ['an assertion valid for an hour', async () => assertion({ exp: Math.floor(Date.now() / 1000) + 3600 }), /within 300 seconds/],
  ['an assertion for another token endpoint', async () => assertion({ aud: 'https://other.example/auth/token' }), /aud/],
  ['an assertion signed by another key', async () => assertion({ key: (await generateKeyPair('RS384')).privateKey }), /signature/],
  ['an assertion signed with RS256', async () => assertion({ alg: 'RS256', key: (await generateKeyPair('RS256')).privateKey }), /RS384 or ES384/],
  ['an assertion naming an unregistered client', async () => assertion({ iss: 'someone-else' }), /Unknown client/],
  ['an assertion of a public client', async () => assertion({ iss: 'demo-app' }), /Unknown client, or not registered/],
])('%s is refused as invalid_client', async (_what, make, description) => {
  const res = await backendToken(await make());
  expect(res.status).toBe(401);
  expect(res.body.error).toBe('invalid_client');
  expect(String(res.body.error_description)).toMatch(description);
});

test('scopes outside the registration are not granted (invalid_scope when nothing is left)', async () => {
  expect((await backendToken(await assertion(), 'patient/*.rs')).body.error).toBe('invalid_scope');
  const narrowed = await backendToken(await assertion(), 'system/DocumentReference.c user/*.cruds');
  expect(narrowed.body.scope).toBe('system/DocumentReference.c');
});

describe('CORS', () => {
  test.each(['https://app.example', 'https://portal.example'])('a preflight from %s (a registered app, CORS_ORIGINS) is answered without a token', async (origin) => {
    const res = await fetchRead(`${s.fhirBase}/Patient/p1`, { method: 'OPTIONS', headers: { Origin: origin, 'Access-Control-Request-Method': 'GET', 'Access-Control-Request-Headers': 'authorization' } });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe(origin);
    expect(res.headers.get('access-control-allow-headers')).toMatch(/Authorization/);
    expect(res.headers.get('access-control-allow-credentials')).toBeNull();
  });

  test('a preflight from an unknown site gets no permission, and still no 401', async () => {
    const res = await fetchRead(`${s.fhirBase}/Patient/p1`, { method: 'OPTIONS', headers: { Origin: 'https://evil.example', 'Access-Control-Request-Method': 'GET' } });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
  });

  test('FHIR answers, refusals included, and the token endpoint carry the headers for an allowed origin', async () => {
    const denied = await fetchRead(`${s.fhirBase}/Patient/p1`, { headers: { Origin: 'https://app.example' } });
    expect(denied.status).toBe(401);
    expect(denied.headers.get('access-control-allow-origin')).toBe('https://app.example');
    expect(denied.headers.get('access-control-expose-headers')).toMatch(/WWW-Authenticate/);
    const metadata = await fetchRead(`${s.fhirBase}/metadata`, { headers: { Origin: 'https://app.example' } });
    expect(metadata.headers.get('access-control-allow-origin')).toBe('https://app.example');
    const token = await fetchRead(s.tokenUrl, { method: 'POST', headers: { Origin: 'https://app.example', 'content-type': 'application/x-www-form-urlencoded' }, body: 'grant_type=x' });
    expect(token.headers.get('access-control-allow-origin')).toBe('https://app.example');
  });

  test('discovery documents are readable from the app\'s origin', async () => {
    const res = await fetchRead(`${s.fhirBase}/.well-known/smart-configuration`, { headers: { Origin: 'https://app.example' } });
    expect(res.headers.get('access-control-allow-origin')).toBe('https://app.example');
  });
});
