import request from 'supertest';
import { SignJWT } from '../../../src/auth/jose';
import { RPPS } from './fixture';
import { useFixtureAccessApp } from './fixture-access-app';

// Issue 11: tokens of the configured issuers must carry `iat`, not from the future (a minute of drift), and live at most
// their issuer's maxTokenLifetime. The development key (DEV_AUTH=1 only) had no such rule: a token minted for a year
// with `npm run token -- … --ttl 31536000` answered for a year. It now follows the same rule, its cap
// DEV_TOKEN_MAX_LIFETIME (default 3600 s).

const a = useFixtureAccessApp();

const claims = { dmp_kind: 'practitioner', rpps: RPPS.gp, scope: 'user/*.cruds' };

/** A development token issued at `iat` (none: no claim) living `lifetime` seconds from it. */
async function devToken(o: { iat: number | null; lifetime: number }): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const jwt = new SignJWT(claims).setProtectedHeader({ alg: 'ES256', kid: a.devKey.kid }).setIssuer(a.auth.devIssuer).setAudience(a.auth.audience)
    .setExpirationTime((o.iat ?? now) + o.lifetime);
  if (o.iat !== null) jwt.setIssuedAt(o.iat);
  return jwt.sign(a.devKey.privateKey);
}

const read = (token: string) => request(a.app).get('/fhir/Patient/p1').set('Authorization', `Bearer ${token}`);
const now = () => Math.floor(Date.now() / 1000);

test('a token minted as the tests and `npm run token` mint them (DEV_TOKEN_TTL, 3600 s) reads the record', async () => {
  expect((await read(await a.token({ kind: 'practitioner', id: RPPS.gp }))).status).toBe(200);
});

test('a development token living exactly the cap (3600 s) is accepted', async () => {
  expect((await read(await devToken({ iat: now() - 10, lifetime: 3600 }))).status).toBe(200);
});

test.each([
  ['living one second longer than the cap', () => devToken({ iat: now() - 10, lifetime: 3601 }), /lives longer than its issuer's tokens may \(maxTokenLifetime 3600 s\)/],
  ['minted for a year', () => devToken({ iat: now() - 10, lifetime: 365 * 86_400 }), /lives longer/],
  ['without iat', () => devToken({ iat: null, lifetime: 300 }), /no issue time \(iat\)/],
  ['issued two minutes in the future', () => devToken({ iat: now() + 120, lifetime: 300 }), /issued in the future/],
])('a development token %s answers 401 invalid_token with an OperationOutcome', async (_name, make, message) => {
  const res = await read(await make());
  expect(res.status).toBe(401);
  expect(res.headers['www-authenticate']).toMatch(/^Bearer realm="dmp-fhir".*error="invalid_token"/);
  expect(res.body).toMatchObject({ resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'login' }] });
  expect(res.body.issue[0].diagnostics).toMatch(message);
});

test('an iat up to a minute ahead of the server clock is drift, accepted', async () => {
  expect((await read(await devToken({ iat: now() + 30, lifetime: 300 }))).status).toBe(200);
});
