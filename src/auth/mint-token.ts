import type { DmpActorKind, DmpRole, OrganisationCategory } from '../access/actor';
import { widestScopes } from '../access/scopes';
import type { AuthConfig } from './auth-config';
import type { DevKey } from './dev-key';
import { SignJWT } from './jose';
import { issueInstantClaims } from './token-cutoffs';

/** What a development token says about its bearer. */
export interface MintOptions {
  kind: DmpActorKind;
  id: string;
  role?: DmpRole;
  purpose?: string;
  reason?: string;
  category?: OrganisationCategory;
  scope?: string;
  /** Seconds of validity (default: config.devTokenTtl). */
  ttl?: number;
}

function subjectClaims(o: MintOptions): Record<string, unknown> {
  switch (o.kind) {
    case 'patient':
      return /^\d{13}(\d{2})?$/.test(o.id) ? { ins: o.id } : { patient: o.id, fhirUser: `Patient/${o.id}` };
    case 'guardian':
      return { fhirUser: `RelatedPerson/${o.id}` };
    case 'practitioner':
      return { rpps: o.id };
    case 'system':
      return { client_id: o.id };
  }
}

/**
 * Signs a development token with the local key (trusted only under DEV_AUTH=1). Its lifetime is at most
 * DEV_TOKEN_MAX_LIFETIME, as the verifier requires: a longer `ttl` is refused here rather than minted dead.
 */
export async function mintDevToken(config: AuthConfig, key: DevKey, o: MintOptions): Promise<string> {
  const ttl = o.ttl ?? config.devTokenTtl;
  if (!Number.isInteger(ttl) || ttl <= 0 || ttl > config.devTokenMaxLifetime) {
    throw new Error(`--ttl must be a whole number of seconds from 1 to DEV_TOKEN_MAX_LIFETIME (${config.devTokenMaxLifetime}): the server refuses development tokens living longer`);
  }
  const claims: Record<string, unknown> = {
    dmp_kind: o.kind,
    ...subjectClaims(o),
    scope: o.scope ?? widestScopes(o.kind, o.category).join(' '),
  };
  if (o.role) claims.role = o.role;
  if (o.category) claims.category = o.category;
  if (o.purpose) claims.purpose_of_use = o.purpose;
  if (o.reason) claims.purpose_reason = o.reason;
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'ES256', kid: key.kid, typ: 'JWT' })
    .setIssuer(config.devIssuer)
    .setAudience(config.audience)
    .setSubject(`${o.kind}:${o.id}`)
    // One instant for both: `exp` computed apart from `iat` could fall a second later and exceed the cap.
    .setIssuedAt(now)
    .setExpirationTime(now + ttl)
    .sign(key.privateKey);
}

/** Signs the short-lived access token the patient sign-in issues after a verified one-time code. */
export async function mintLoginToken(config: AuthConfig, key: DevKey, patientId: string): Promise<string> {
  // The issue instant to the millisecond: a new password or revoked credentials end the tokens issued before (issue 11).
  const issued = issueInstantClaims(new Date());
  return new SignJWT({ dmp_kind: 'patient', patient: patientId, fhirUser: `Patient/${patientId}`, scope: widestScopes('patient').join(' '), amr: ['pwd', 'otp'], dmp_issued_ms: issued.dmp_issued_ms })
    .setProtectedHeader({ alg: 'ES256', kid: key.kid, typ: 'JWT' })
    .setIssuer(config.login.issuer)
    .setAudience(config.audience)
    .setSubject(`patient:${patientId}`)
    .setIssuedAt(issued.iat)
    .setExpirationTime(issued.iat + config.login.tokenTtl)
    .sign(key.privateKey);
}
