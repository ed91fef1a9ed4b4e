import type { Transactions } from '../store/db';
import { sql } from '../store/sql';
import { decodeJwt, errors, jwtVerify } from '../auth/jose';
import type { ClientRegistry, SmartClient } from './client-registry';
import { oauthError } from './oauth-error';

export const JWT_BEARER = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
/** SMART Backend Services: RS384 and ES384 are the algorithms clients must support; we accept those only. */
export const ASSERTION_ALGORITHMS = ['RS384', 'ES384'];
const CLOCK_SKEW_S = 30;

export interface ClientAuthOptions {
  /** Keeps an assertion's jti until it expires (`SmartStore.rememberJti`): refuses a replay. */
  rememberJti: (clientId: string, jti: string, expiresAt: Date, now: Date) => Promise<void>;
  registry: ClientRegistry;
  /** The token endpoint's URL, the only audience an assertion may name. */
  tokenUrl: string;
  now: Date;
  maxAssertionTtl: number;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v ? v : undefined);

/**
 * Authenticates the client of a token or revocation request (RFC 6749 §2.3, RFC 7523 §3, SMART Backend Services):
 * a confidential client by a `private_key_jwt` assertion signed with a key of its JWKS, never replayed (`jti`
 * kept until `exp`), valid at most five minutes; a public client by its id alone. Throws `invalid_client`.
 */
export async function authenticateClient(body: Record<string, unknown>, authorization: string | undefined, o: ClientAuthOptions): Promise<SmartClient> {
  if (authorization) throw oauthError('invalid_client', 'This server takes no client secrets: authenticate with a private_key_jwt client assertion');
  const assertionType = str(body.client_assertion_type);
  const assertion = str(body.client_assertion);
  if (assertionType !== undefined || assertion !== undefined) {
    if (assertionType !== JWT_BEARER || !assertion) throw oauthError('invalid_client', `client_assertion_type must be ${JWT_BEARER}, with a client_assertion`);
    return verifyAssertion(assertion, str(body.client_id), o);
  }
  const clientId = str(body.client_id);
  if (!clientId) throw oauthError('invalid_client', 'client_id is required (or a client assertion)');
  const client = o.registry.find(clientId);
  if (!client) throw oauthError('invalid_client', 'Unknown client');
  // A confidential client must prove who it is: its id alone would let anyone take its place.
  if (client.authMethod !== 'none') throw oauthError('invalid_client', 'This client authenticates with a private_key_jwt client assertion');
  return client;
}

async function verifyAssertion(assertion: string, clientIdParam: string | undefined, o: ClientAuthOptions): Promise<SmartClient> {
  let claims: { iss?: string; sub?: string };
  try {
    claims = decodeJwt(assertion);
  } catch {
    throw oauthError('invalid_client', 'The client assertion is not a JWT');
  }
  const clientId = claims.iss;
  if (!clientId || claims.sub !== clientId) throw oauthError('invalid_client', 'The client assertion must have iss = sub = the client id');
  if (clientIdParam !== undefined && clientIdParam !== clientId) throw oauthError('invalid_client', 'client_id differs from the assertion issuer');
  const client = o.registry.find(clientId);
  if (!client || client.authMethod !== 'private_key_jwt' || !client.keys) throw oauthError('invalid_client', 'Unknown client, or not registered for private_key_jwt');
  let payload: { exp?: number; jti?: string };
  try {
    ({ payload } = await jwtVerify(assertion, client.keys, {
      algorithms: ASSERTION_ALGORITHMS,
      issuer: clientId,
      subject: clientId,
      audience: o.tokenUrl,
      requiredClaims: ['exp', 'jti'],
      clockTolerance: CLOCK_SKEW_S,
      currentDate: o.now,
    }));
  } catch (err) {
    throw oauthError('invalid_client', describeAssertionError(err));
  }
  const nowS = Math.floor(o.now.getTime() / 1000);
  if ((payload.exp as number) > nowS + o.maxAssertionTtl + CLOCK_SKEW_S) throw oauthError('invalid_client', `The client assertion must expire within ${o.maxAssertionTtl} seconds`);
  if (typeof payload.jti !== 'string' || !payload.jti || payload.jti.length > 256) throw oauthError('invalid_client', 'The client assertion needs a jti');
  await o.rememberJti(clientId, payload.jti, new Date(((payload.exp as number) + CLOCK_SKEW_S) * 1000), o.now);
  return client;
}

/** Records an assertion's jti until it expires; a second use of the same jti is a replay (RFC 7523 §3 item 7). */
export async function rememberJti(db: Transactions, clientId: string, jti: string, expiresAt: Date, now: Date): Promise<void> {
  const inserted = await db.transaction(async (tx) => {
    await tx.query(sql`DELETE FROM smart_assertion_jti WHERE expires_at < ${now.toISOString()}::timestamptz`);
    const r = await tx.query(sql`INSERT INTO smart_assertion_jti (client_id, jti, expires_at)
      VALUES (${clientId}, ${jti}, ${expiresAt.toISOString()}::timestamptz) ON CONFLICT DO NOTHING`);
    return r.rowCount > 0;
  });
  if (!inserted) throw oauthError('invalid_client', 'The client assertion was already used (jti replayed)');
}

function describeAssertionError(err: unknown): string {
  if (err instanceof errors.JWTExpired) return 'The client assertion has expired';
  if (err instanceof errors.JWTClaimValidationFailed) return err.claim === 'aud' ? 'The client assertion must name the token endpoint URL as aud' : `The client assertion's ${err.claim} claim is invalid`;
  if (err instanceof errors.JOSEAlgNotAllowed) return `The client assertion must be signed with ${ASSERTION_ALGORITHMS.join(' or ')}`;
  if (err instanceof errors.JWSSignatureVerificationFailed || err instanceof errors.JWKSNoMatchingKey) return 'The client assertion signature does not match the client\'s registered keys';
  return 'The client assertion is invalid';
}
