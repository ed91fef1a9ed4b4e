import type { DevKey } from '../auth/dev-key';
import { SignJWT } from '../auth/jose';
import { issueInstantClaims } from '../auth/token-cutoffs';
import { newSecret } from './secrets';
import { SMART_ISSUER } from './smart-config';
import { fhirUserOf, type GrantSubject } from './subject';

/** The claims the token verifier turns into an actor (`claims-to-actor.ts`), per kind of subject. */
function actorClaims(subject: GrantSubject): Record<string, unknown> {
  switch (subject.kind) {
    case 'patient':
      return { dmp_kind: 'patient', patient: subject.patient, fhirUser: fhirUserOf(subject) };
    case 'guardian':
      // The guardian acts as himself (his RelatedPerson); `patient` is the launch context only, never a grant.
      return { dmp_kind: 'guardian', fhirUser: fhirUserOf(subject), launch_patient: subject.patient };
    case 'system':
      return { dmp_kind: 'system', client_id: subject.id, ...(subject.category ? { category: subject.category } : {}) };
  }
}

/**
 * Signs a SMART access token: the subject's actor claims, the granted scopes, the OAuth client as `azp`; the account
 * whose credential signed in (`dmp_account`), the grant it belongs to (`dmp_grant`: its refresh family, or its code's) and the issue instant to the
 * millisecond, so that the token dies with a new password or revoked credentials of that account, and with its family
 * (sign-out, revocation, a replayed code or refresh token; issue 11, `../auth/token-cutoffs.ts`).
 */
export async function mintAccessToken(key: DevKey, o: { audience: string; subject: GrantSubject; scope: string[]; clientId: string; ttl: number; account?: string; grant?: string }): Promise<string> {
  const sub = o.subject.kind === 'system' ? `system:${o.subject.id}` : (fhirUserOf(o.subject) as string);
  const issued = issueInstantClaims(new Date());
  const account = o.subject.kind !== 'system' && o.account ? { dmp_account: o.account } : {};
  // The grant the token comes from (its refresh family, or its code's own): ended (sign-out, revocation, a code or refresh
  // token replayed), it ends the token too.
  const grant = o.subject.kind !== 'system' && o.grant ? { dmp_grant: o.grant } : {};
  return new SignJWT({ ...actorClaims(o.subject), scope: o.scope.join(' '), azp: o.clientId, ...account, ...grant, dmp_issued_ms: issued.dmp_issued_ms })
    .setProtectedHeader({ alg: 'ES256', kid: key.kid, typ: 'at+jwt' })
    .setIssuer(SMART_ISSUER)
    .setAudience(o.audience)
    .setSubject(sub)
    .setJti(newSecret(12))
    .setIssuedAt(issued.iat)
    .setExpirationTime(issued.iat + o.ttl)
    .sign(key.privateKey);
}
