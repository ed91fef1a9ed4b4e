import type { DevKey } from '../auth/dev-key';
import { createLocalJWKSet, jwtVerify } from '../auth/jose';
import { SMART_ISSUER } from './smart-config';

/** What an access token presented for revocation is, for the client that presented it. */
export type PresentedAccessToken =
  /** One of our SMART access tokens, issued to this client, naming the grant (`dmp_grant`) it came from. */
  | { kind: 'grant'; grant: string }
  /** One of ours issued to this client without a grant (client_credentials): only its expiry ends it. */
  | { kind: 'no-grant' }
  /** Not a live access token of ours issued to this client (another client's, expired, forged, anything): ignored. */
  | { kind: 'ignored' };

/** True when the presented token is a JWT (an access token), not one of our opaque refresh tokens. */
export const looksLikeJwt = (token: string): boolean => /^[\w-]+\.[\w-]+\.[\w-]+$/.test(token);

/**
 * Reads an access token presented at /auth/revoke or /auth/logout (RFC 7009 §2.1): only a token this server signed
 * (issuer `urn:dmp-fhir:smart`, our key, our audience), still alive and issued to the presenting client (`azp`),
 * counts; anything else is `ignored`, answered 200 like an unknown token, so that the endpoint tells nobody whether
 * another client's token exists.
 */
export function accessTokenReader(key: DevKey, audience: string): (token: string, clientId: string, now: Date) => Promise<PresentedAccessToken> {
  const keys = createLocalJWKSet({ keys: [key.publicJwk] });
  return async (token, clientId, now) => {
    let payload: Record<string, unknown>;
    try {
      ({ payload } = await jwtVerify(token, keys, { issuer: SMART_ISSUER, audience, algorithms: ['ES256'], requiredClaims: ['exp'], currentDate: now }));
    } catch {
      return { kind: 'ignored' };
    }
    if (payload.azp !== clientId) return { kind: 'ignored' };
    return typeof payload.dmp_grant === 'string' && payload.dmp_grant ? { kind: 'grant', grant: payload.dmp_grant } : { kind: 'no-grant' };
  };
}
