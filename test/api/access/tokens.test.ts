import request from 'supertest';
import { exportJWK, generateKeyPair, SignJWT } from '../../../src/auth/jose';
import { loadFixture, RPPS } from './fixture';
import { createAccessApp, type AccessApp } from './harness';

let a: AccessApp;
beforeAll(async () => {
  a = await createAccessApp();
  await loadFixture(a.service);
}, 120_000);
afterAll(() => a.close());

const claims = { dmp_kind: 'practitioner', rpps: RPPS.gp, scope: 'user/*.cruds' };

type SigningKey = Parameters<SignJWT['sign']>[0];

async function signed(o: { iss?: string; aud?: string; exp?: number; nbf?: number; key?: SigningKey } = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const jwt = new SignJWT(claims)
    .setProtectedHeader({ alg: 'ES256', kid: a.devKey.kid })
    .setIssuer(o.iss ?? a.auth.devIssuer)
    .setAudience(o.aud ?? a.auth.audience)
    .setIssuedAt(now - 10)
    .setExpirationTime(o.exp ?? now + 300);
  if (o.nbf) jwt.setNotBefore(o.nbf);
  return jwt.sign(o.key ?? a.devKey.privateKey);
}

const b64url = (s: string) => Buffer.from(s).toString('base64url');

async function attempt(authorization: string | undefined, path = '/fhir/Patient/p1') {
  const req = request(a.app).get(path);
  if (authorization !== undefined) req.set('Authorization', authorization);
  return req;
}

test('a valid development token reads the record (the other cases differ only by the flaw)', async () => {
  const res = await attempt(`Bearer ${await signed()}`);
  expect(res.status).toBe(200);
});

const BAD: [string, () => Promise<string | undefined>, RegExp][] = [
  ['no Authorization header', async () => undefined, /bearer token is required/],
  ['a Basic Authorization header', async () => 'Basic dXNlcjpwYXNz', /must be "Bearer <token>"/],
  ['a token that is not a JWT', async () => 'Bearer not-a-jwt', /malformed/],
  ['an expired token', async () => `Bearer ${await signed({ exp: Math.floor(Date.now() / 1000) - 60 })}`, /expired/],
  ['a token not valid yet', async () => `Bearer ${await signed({ nbf: Math.floor(Date.now() / 1000) + 3600 })}`, /not valid yet/],
  ['a token from an unknown issuer', async () => `Bearer ${await signed({ iss: 'https://evil.example' })}`, /untrusted issuer/],
  ['a token for another audience', async () => `Bearer ${await signed({ aud: 'another-api' })}`, /another audience/],
  [
    'a token with alg none',
    async () => {
      const header = b64url(JSON.stringify({ alg: 'none', typ: 'JWT' }));
      const body = b64url(JSON.stringify({ ...claims, iss: a.auth.devIssuer, aud: a.auth.audience, exp: Math.floor(Date.now() / 1000) + 300 }));
      return `Bearer ${header}.${body}.`;
    },
    /.+/,
  ],
  [
    'a token with a tampered payload',
    async () => {
      const [h, , s] = (await signed()).split('.');
      const forged = b64url(JSON.stringify({ ...claims, rpps: RPPS.spec, iss: a.auth.devIssuer, aud: a.auth.audience, exp: Math.floor(Date.now() / 1000) + 300 }));
      return `Bearer ${h}.${forged}.${s}`;
    },
    /signature/,
  ],
  [
    'a token signed by another key under the trusted issuer',
    async () => {
      const { privateKey } = await generateKeyPair('ES256');
      return `Bearer ${await signed({ key: privateKey })}`;
    },
    /signature|No trusted key/,
  ],
  [
    'a token signed by the patient sign-in issuer for a practitioner',
    async () => `Bearer ${await signed({ iss: a.auth.login.issuer })}`,
    /.+/,
  ],
];

test.each(BAD)('%s answers 401 with WWW-Authenticate and an OperationOutcome', async (_name, make, message) => {
  const res = await attempt(await make());
  expect(res.status).toBe(401);
  expect(res.headers['www-authenticate']).toMatch(/^Bearer realm="dmp-fhir"/);
  expect(res.body.resourceType).toBe('OperationOutcome');
  expect(res.body.issue[0].code).toBe('login');
  expect(res.body.issue[0].diagnostics).toMatch(message);
});

test.each([
  ['/fhir/metadata', 200],
  ['/healthz', 200],
  ['/.well-known/smart-configuration', 200],
  ['/fhir/.well-known/smart-configuration', 200],
  ['/auth/jwks', 200],
  ['/fhir/Patient', 401],
  ['/fhir/Patient/p1/$everything', 401],
  ['/fhir/Binary/d1-bin', 401],
  ['/fhir/_history', 401],
])('without a token, GET %s answers %i', async (path, status) => {
  const res = await attempt(undefined, path);
  expect(res.status).toBe(status);
});

test('SMART discovery names the token endpoints and the JWKS with the keys the server signs with', async () => {
  const res = await request(a.app).get('/.well-known/smart-configuration');
  expect(res.body.token_endpoint).toMatch(/\/auth\/token$/);
  expect(res.body.jwks_uri).toMatch(/\/auth\/jwks$/);
  const jwks = await request(a.app).get('/auth/jwks');
  const kids = (jwks.body.keys as { kid: string; d?: string }[]).map((k) => k.kid);
  expect(kids).toEqual(expect.arrayContaining([a.devKey.kid, 'login-test']));
  expect((jwks.body.keys as { d?: string }[]).every((k) => k.d === undefined)).toBe(true);
});

test('without DEV_AUTH, a token signed by the development key gets 401 and the key is not published', async () => {
  const closed = await createAccessApp({ env: { DEV_AUTH: undefined } });
  try {
    const res = await request(closed.app).get('/fhir/Patient').set('Authorization', `Bearer ${await closed.token({ kind: 'practitioner', id: RPPS.gp })}`);
    expect(res.status).toBe(401);
    expect(res.body.resourceType).toBe('OperationOutcome');
    expect(res.body.issue[0].diagnostics).toMatch(/untrusted issuer/);
    const kids = ((await request(closed.app).get('/auth/jwks')).body.keys as { kid: string }[]).map((k) => k.kid);
    expect(kids).toEqual(['login-test']);
  } finally {
    await closed.close();
  }
});

test('with a production issuer configured and no DEV_AUTH, development tokens are refused', async () => {
  const { publicKey } = await generateKeyPair('ES256');
  const jwks = { keys: [{ ...(await exportJWK(publicKey)), kid: 'prod' }] };
  const { writeFileSync, mkdtempSync, rmSync } = await import('node:fs');
  const dir = mkdtempSync('/tmp/dmp-jwks-');
  writeFileSync(`${dir}/jwks.json`, JSON.stringify(jwks));
  const prod = await createAccessApp({ env: { DEV_AUTH: undefined, AUTH_ISSUERS: JSON.stringify([{ issuer: 'https://psc.example', jwks: `${dir}/jwks.json`, mints: { kinds: ['practitioner'] } }]) } });
  try {
    const res = await request(prod.app).get('/fhir/Patient').set('Authorization', `Bearer ${await prod.token({ kind: 'practitioner', id: RPPS.gp })}`);
    expect(res.status).toBe(401);
    expect(res.body.issue[0].diagnostics).toMatch(/untrusted issuer/);
  } finally {
    await prod.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
