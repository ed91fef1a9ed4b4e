import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { exportJWK, generateKeyPair, SignJWT } from '../../../src/auth/jose';

/**
 * Two configured token issuers for tests of AUTH_ISSUERS: a professionals' one (Pro Santé Connect-like) and a feeders'
 * one, each with its own ES256 key and its JWKS written in a temporary directory.
 */
export const PSC = 'https://psc.example';
export const FEEDERS = 'https://feeders.example';
export type IssuerName = 'psc' | 'feeders';

type SigningKey = Parameters<SignJWT['sign']>[0];
const ISSUERS: Record<IssuerName, { url: string; kid: string }> = { psc: { url: PSC, kid: 'psc-1' }, feeders: { url: FEEDERS, kid: 'feed-1' } };

export interface TestIssuers {
  dir: string;
  /** AUTH_ISSUERS naming both, each entry completed with what the test declares (`mints`, `maxTokenLifetime` …). */
  issuersJson(psc: object, feeders: object): string;
  /** A token of that issuer: `iat` ten seconds ago unless given (`null`: none), `exp` in five minutes unless given. */
  sign(issuer: IssuerName, claims: Record<string, unknown>, audience: string, o?: { iat?: number | null; exp?: number }): Promise<string>;
  remove(): void;
}

export async function createTestIssuers(prefix: string): Promise<TestIssuers> {
  const dir = mkdtempSync(`/tmp/${prefix}-`);
  const keys = {} as Record<IssuerName, SigningKey>;
  for (const name of Object.keys(ISSUERS) as IssuerName[]) {
    const { publicKey, privateKey } = await generateKeyPair('ES256');
    keys[name] = privateKey;
    writeFileSync(`${dir}/${name}.json`, JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid: ISSUERS[name].kid, alg: 'ES256' }] }));
  }
  return {
    dir,
    issuersJson: (psc, feeders) => JSON.stringify([
      { issuer: PSC, jwks: `${dir}/psc.json`, ...psc },
      { issuer: FEEDERS, jwks: `${dir}/feeders.json`, ...feeders },
    ]),
    sign: (issuer, claims, audience, o = {}) => {
      const now = Math.floor(Date.now() / 1000);
      const jwt = new SignJWT(claims).setProtectedHeader({ alg: 'ES256', kid: ISSUERS[issuer].kid })
        .setIssuer(ISSUERS[issuer].url).setAudience(audience).setExpirationTime(o.exp ?? now + 300);
      if (o.iat !== null) jwt.setIssuedAt(o.iat ?? now - 10);
      return jwt.sign(keys[issuer]);
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
