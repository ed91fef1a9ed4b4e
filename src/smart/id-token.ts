import type { DevKey } from '../auth/dev-key';
import { SignJWT } from '../auth/jose';
import { fhirUserOf, type GrantSubject } from './subject';

/**
 * Signs the OpenID Connect id_token of a patient launch (OIDC Core §2; SMART 2.x "sso-openid-connect"): issued by
 * this server's base URL (what /.well-known/openid-configuration says), for the client (`aud`), echoing the
 * app's `nonce`, naming the FHIR user as an absolute URL (`fhirUser`).
 */
export async function mintIdToken(key: DevKey, o: { issuer: string; fhirBase: string; clientId: string; subject: GrantSubject; nonce?: string; authTime?: Date; ttl: number }): Promise<string | undefined> {
  const fhirUser = fhirUserOf(o.subject);
  if (!fhirUser) return undefined;
  const claims: Record<string, unknown> = { fhirUser: `${o.fhirBase}/${fhirUser}`, amr: ['pwd', 'otp'] };
  if (o.nonce) claims.nonce = o.nonce;
  // When the password and code were typed (OIDC Core §2): a launch that reused the sign-in session tells it honestly.
  if (o.authTime) claims.auth_time = Math.floor(o.authTime.getTime() / 1000);
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'ES256', kid: key.kid, typ: 'JWT' })
    .setIssuer(o.issuer)
    .setAudience(o.clientId)
    .setSubject(fhirUser)
    .setIssuedAt()
    .setExpirationTime(`${o.ttl}s`)
    .sign(key.privateKey);
}
