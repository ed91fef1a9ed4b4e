import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadAuthConfig, SMART_ISSUER, type AuthConfig } from '../../../src/auth/auth-config';
import { loadDevKey, type DevKey } from '../../../src/auth/dev-key';
import { exportJWK, generateKeyPair, SignJWT } from '../../../src/auth/jose';
import { mintDevToken } from '../../../src/auth/mint-token';
import type { TokenCutoffs } from '../../../src/auth/token-cutoffs';
import { createTokenVerifier, type TokenVerifier } from '../../../src/auth/token-verifier';
import { FhirError } from '../../../src/fhir/errors';

let config: AuthConfig;
let key: DevKey;
let verify: TokenVerifier;
const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');

beforeAll(async () => {
  config = loadAuthConfig({ DEV_AUTH: '1' }, mkdtempSync(path.join(tmpdir(), 'auth-')));
  key = await loadDevKey(config);
  verify = createTokenVerifier(config, key);
});

async function signed(claims: Record<string, unknown>, opts: { iss?: string; aud?: string; exp?: number; nbf?: number; iat?: number } = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const jwt = new SignJWT({ dmp_kind: 'practitioner', rpps: '10000000001', scope: 'user/*.cruds', ...claims })
    .setProtectedHeader({ alg: 'ES256', kid: key.kid })
    .setIssuer(opts.iss ?? config.devIssuer)
    .setAudience(opts.aud ?? config.audience)
    // Development tokens carry `iat` and live at most DEV_TOKEN_MAX_LIFETIME (3600 s by default), as configured issuers'.
    .setIssuedAt(opts.iat ?? now - 10)
    .setExpirationTime(opts.exp ?? now + 600);
  if (opts.nbf) jwt.setNotBefore(opts.nbf);
  return jwt.sign(key.privateKey);
}

async function failure(authorization: string | undefined): Promise<FhirError> {
  const err = await verify(authorization).then(() => undefined, (e: unknown) => e);
  if (!(err instanceof FhirError)) throw new Error(`expected a FhirError, got ${String(err)}`);
  return err;
}

describe('bearer token verification', () => {
  test('accepts a development token and names the practitioner', async () => {
    const actor = await verify(`Bearer ${await mintDevToken(config, key, { kind: 'practitioner', id: '10000000001', role: 'samu-regulator' })}`);
    expect(actor).toMatchObject({ kind: 'practitioner', id: '10000000001', role: 'samu-regulator' });
    expect(actor.keys).toContain('urn:oid:1.2.250.1.71.4.2.1|810000000001');
  });

  const now = () => Math.floor(Date.now() / 1000);
  const cases: [string, () => Promise<string | undefined>, RegExp][] = [
    ['a missing token', async () => undefined, /required/],
    ['a non-bearer header', async () => 'Basic dXNlcjpwYXNz', /Bearer/],
    ['an expired token', async () => `Bearer ${await signed({}, { exp: now() - 120 })}`, /expired/],
    ['a token not valid yet', async () => `Bearer ${await signed({}, { nbf: now() + 3600 })}`, /not valid yet/],
    ['a token from another issuer', async () => `Bearer ${await signed({}, { iss: 'https://evil.example' })}`, /untrusted issuer/],
    ['a token for another audience', async () => `Bearer ${await signed({}, { aud: 'another-api' })}`, /audience/],
    ['an unsigned token (alg none)', async () => `Bearer ${b64({ alg: 'none' })}.${b64({ iss: config.devIssuer, aud: config.audience, exp: now() + 600, dmp_kind: 'patient', patient: 'p1' })}.`, /algorithm|unsigned|malformed/],
    ['a tampered token', async () => {
      const [h, , s] = (await signed({})).split('.');
      return `Bearer ${h}.${b64({ iss: config.devIssuer, aud: config.audience, exp: now() + 600, dmp_kind: 'patient', patient: 'p1' })}.${s}`;
    }, /signature/],
    ['a token signed by an unknown key', async () => {
      const other = await generateKeyPair('ES256');
      const t = await new SignJWT({ dmp_kind: 'patient', patient: 'p1' }).setProtectedHeader({ alg: 'ES256', kid: key.kid }).setIssuer(config.devIssuer).setAudience(config.audience).setExpirationTime('5m').sign(other.privateKey);
      return `Bearer ${t}`;
    }, /signature/],
    ['garbage', async () => 'Bearer not-a-jwt', /malformed/],
    ['a token naming nobody', async () => `Bearer ${await signed({ dmp_kind: undefined, rpps: undefined })}`, /who is calling/],
  ];
  test.each(cases)('answers 401 with WWW-Authenticate for %s', async (_name, token, message) => {
    const err = await failure(await token());
    expect(err.status).toBe(401);
    expect(err.headers['WWW-Authenticate']).toMatch(/^Bearer realm="dmp-fhir"/);
    expect(err.outcome.issue[0].code).toBe('login');
    expect(err.message).toMatch(message);
  });

  test('names invalid_token in the challenge of a rejected token but not of a missing one', async () => {
    expect((await failure(undefined)).headers['WWW-Authenticate']).not.toMatch(/invalid_token/);
    expect((await failure(`Bearer ${await signed({}, { exp: now() - 120 })}`)).headers['WWW-Authenticate']).toMatch(/error="invalid_token"/);
  });

  test('does not trust the development issuer once a production issuer is configured', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'auth-prod-'));
    const prod = await generateKeyPair('RS256');
    const jwksFile = path.join(dir, 'jwks.json');
    writeFileSync(jwksFile, JSON.stringify({ keys: [{ ...(await exportJWK(prod.publicKey)), kid: 'prod1', alg: 'RS256' }] }));
    const prodConfig = loadAuthConfig({ AUTH_ISSUERS: JSON.stringify([{ issuer: 'https://idp.example', jwks: jwksFile, audience: 'dmp-fhir', algorithms: ['RS256'], mints: { kinds: ['patient'] } }]) }, dir);
    const prodVerify = createTokenVerifier(prodConfig, key);
    const devToken = await mintDevToken(config, key, { kind: 'patient', id: 'p1' });
    await expect(prodVerify(`Bearer ${devToken}`)).rejects.toMatchObject({ status: 401 });
    const prodToken = await new SignJWT({ fhirUser: 'Patient/p1', scope: 'patient/*.rs' }).setProtectedHeader({ alg: 'RS256', kid: 'prod1' }).setIssuer('https://idp.example').setAudience('dmp-fhir').setIssuedAt().setExpirationTime('5m').sign(prod.privateKey);
    expect(await prodVerify(`Bearer ${prodToken}`)).toMatchObject({ kind: 'patient', id: 'p1', patientIds: ['p1'], scopes: ['patient/*.rs'] });
    const es = await new SignJWT({ fhirUser: 'Patient/p1' }).setProtectedHeader({ alg: 'HS256' }).setIssuer('https://idp.example').setAudience('dmp-fhir').setExpirationTime('5m').sign(new Uint8Array(32));
    await expect(prodVerify(`Bearer ${es}`)).rejects.toMatchObject({ status: 401 });
  });

  test('keeps the same development key across restarts', async () => {
    expect((await loadDevKey(config)).publicJwk).toEqual(key.publicJwk);
  });
});

describe('verified-token cache', () => {
  it('answers a verified token again with the same frozen actor, and stops when it expires', async () => {
    const token = await signed({}, { exp: Math.floor(Date.now() / 1000) + 2 });
    const first = await verify(`Bearer ${token}`);
    const second = await verify(`Bearer ${token}`);
    expect(second).toEqual(first);
    // Shared between requests, so nobody may change it in place.
    expect(Object.isFrozen(second) && Object.isFrozen(second.keys) && Object.isFrozen(second.claims)).toBe(true);
    expect(() => second.keys.push('Practitioner/intruder')).toThrow(TypeError);
    await new Promise((resolve) => setTimeout(resolve, 2100));
    await expect(verify(`Bearer ${token}`)).rejects.toMatchObject({ status: 401 });
  });
});

describe('tokens of our own issuers living longer than they are given', () => {
  // Issue 14, retention: a cut-off is deleted once the longest lifetime our issuers give (LOGIN_TOKEN_TTL or a day,
  // the largest SMART_ACCESS_TOKEN_TTL accepted) has passed; a token living longer would outlive the cut-off that ends it.
  const own = async (lifetimeS: number): Promise<string> => {
    const iat = Math.floor(Date.now() / 1000);
    return new SignJWT({ dmp_kind: 'patient', patient: 'p1', scope: 'patient/*.rs', dmp_issued_ms: iat * 1000 })
      .setProtectedHeader({ alg: 'ES256', kid: key.kid })
      .setIssuer(SMART_ISSUER)
      .setAudience(config.audience)
      .setIssuedAt(iat)
      .setExpirationTime(iat + lifetimeS)
      .sign(key.privateKey);
  };
  const ownVerifier = () => createTokenVerifier(config, key, key, { deathOf: async () => undefined } as unknown as TokenCutoffs);

  test('refuses a patient token of our SMART issuer living longer than a day (LOGIN_TOKEN_TTL 900 s)', async () => {
    const err = await ownVerifier()(`Bearer ${await own(86_400 + 60)}`).then(() => undefined, (e: unknown) => e as FhirError);
    expect(err?.status).toBe(401);
    expect(err?.headers['WWW-Authenticate']).toMatch(/error="invalid_token".*lives longer/);
  });

  test('accepts one living a day', async () => {
    expect((await ownVerifier()(`Bearer ${await own(86_400)}`)).kind).toBe('patient');
  });
});

describe('development tokens live at most DEV_TOKEN_MAX_LIFETIME (issue 11: the rule of configured issuers)', () => {
  const dir = () => mkdtempSync(path.join(tmpdir(), 'auth-'));

  test('the cap is 3600 s by default, from 60 to 86400, and DEV_TOKEN_TTL may not exceed it (the server would refuse what it mints)', () => {
    expect(loadAuthConfig({ DEV_AUTH: '1' }, dir()).devTokenMaxLifetime).toBe(3600);
    expect(loadAuthConfig({ DEV_AUTH: '1', DEV_TOKEN_MAX_LIFETIME: '86400', DEV_TOKEN_TTL: '86400' }, dir()).devTokenTtl).toBe(86_400);
    for (const bad of ['59', '86401', '1.5', 'x']) expect(() => loadAuthConfig({ DEV_TOKEN_MAX_LIFETIME: bad }, dir())).toThrow(/DEV_TOKEN_MAX_LIFETIME must be a whole number of seconds from 60 to 86400/);
    expect(() => loadAuthConfig({ DEV_TOKEN_TTL: '7200' }, dir())).toThrow(/DEV_TOKEN_TTL \(7200\) exceeds DEV_TOKEN_MAX_LIFETIME \(3600\)/);
  });

  test('minting refuses a --ttl above the cap, and a token at the cap is accepted (iat and exp from one instant)', async () => {
    await expect(mintDevToken(config, key, { kind: 'patient', id: 'p1', ttl: 3601 })).rejects.toThrow(/--ttl must be a whole number of seconds from 1 to DEV_TOKEN_MAX_LIFETIME \(3600\)/);
    const token = await mintDevToken(config, key, { kind: 'practitioner', id: '10000000001', ttl: 3600 });
    const payload = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()) as { iat: number; exp: number };
    expect(payload.exp - payload.iat).toBe(3600);
    expect((await verify(`Bearer ${token}`)).kind).toBe('practitioner');
  });

  test('a verifier configured with a longer cap accepts a token living that long, and no longer', async () => {
    const long = loadAuthConfig({ DEV_AUTH: '1', DEV_TOKEN_MAX_LIFETIME: '7200' }, dir());
    const verifyLong = createTokenVerifier(long, key);
    const iat = Math.floor(Date.now() / 1000) - 10;
    expect((await verifyLong(`Bearer ${await signed({}, { iat, exp: iat + 7200 })}`)).kind).toBe('practitioner');
    const err = await verifyLong(`Bearer ${await signed({}, { iat, exp: iat + 7201 })}`).then(() => undefined, (e: unknown) => e as FhirError);
    expect(err?.message).toMatch(/maxTokenLifetime 7200 s/);
  });
});
