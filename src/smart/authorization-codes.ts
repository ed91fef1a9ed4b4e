import type { Statements } from '../store/db';
import { sql } from '../store/sql';
import { signedInBeforeMajority } from './refresh-tokens';
import { digestOf, newSecret } from './secrets';
import type { GrantSubject } from './subject';

/** What an authorization code was issued for (RFC 6749 §4.1.3: client, redirect URI; RFC 7636: the challenge). */
export interface CodeGrant {
  clientId: string;
  redirectUri: string;
  codeChallenge: string;
  scope: string[];
  nonce?: string;
  subject: GrantSubject;
  /** The record whose credential signed in: a new password for it revokes what this grant gave. */
  account?: string;
  /** The sign-in session it was issued in (the portal's sign-out ends it through the refresh family). */
  signInSession?: string;
  /** When the person typed his password and code (id_token `auth_time`). */
  authTime?: Date;
}

interface CodeRow {
  client_id: string;
  redirect_uri: string;
  code_challenge: string;
  scope: string;
  nonce: string | null;
  subject: GrantSubject | string;
  account: string | null;
  expires_at: Date | string;
  used_at: Date | string | null;
  family_id: string | null;
  sign_in_session: string | null;
  auth_time: Date | string | null;
  created_at: Date | string;
  account_patient: string | null;
  session_ended: boolean | null;
}

/** A code row as redeemed: its grant, and whether it was still usable. */
export interface RedeemedCode {
  grant: CodeGrant;
  digest: string;
  expired: boolean;
  /** Already redeemed: a second presentation (RFC 6749 §4.1.2: deny, and revoke what it gave). */
  reused: boolean;
  /**
   * The password and code were typed before the 18th birthday of the account's holder, which has passed since: the
   * sign-in may have been a parent's with the child's credentials (`auth/credential-majority.ts`).
   */
  signedInBeforeMajority: boolean;
  /**
   * The sign-in session it was issued in has ended since (a new password after a theft, the credential removed, the
   * record closed, a sign-out): like the consent step, the exchange then gives nothing.
   */
  sessionEnded: boolean;
  /** The grant its first exchange gave (a refresh family's id, or the code's own): revoked when it comes back. */
  familyId?: string;
}

/** Issues a single-use code in the caller's transaction; returns the code (only its digest is stored). */
export async function issueCode(tx: Statements, grant: CodeGrant, o: { now: Date; ttl: number }): Promise<string> {
  const code = newSecret();
  await tx.query(sql`INSERT INTO smart_code (code_digest, client_id, redirect_uri, code_challenge, scope, nonce, subject, account, sign_in_session, auth_time, created_at, expires_at)
    VALUES (${digestOf(code)}, ${grant.clientId}, ${grant.redirectUri}, ${grant.codeChallenge}, ${grant.scope.join(' ')}, ${grant.nonce ?? null},
      ${JSON.stringify(grant.subject)}::jsonb, ${grant.account ?? null}, ${grant.signInSession ?? null}, ${grant.authTime?.toISOString() ?? null}::timestamptz, ${o.now.toISOString()}::timestamptz, ${new Date(o.now.getTime() + o.ttl * 1000).toISOString()}::timestamptz)`);
  // Expired codes are of no use to anyone: pruned as new ones are issued (index on expires_at).
  await tx.query(sql`DELETE FROM smart_code WHERE expires_at < ${new Date(o.now.getTime() - 3600_000).toISOString()}::timestamptz`);
  return code;
}

/**
 * Locks a code for the caller's transaction and marks it used whatever happens next: a code that fails its
 * checks (wrong client, redirect or verifier) is burnt too, so a stolen code cannot be tried twice.
 */
export async function redeemCode(tx: Statements, code: string, now: Date): Promise<RedeemedCode | undefined> {
  const digest = digestOf(code);
  const { rows } = await tx.query<CodeRow>(sql`SELECT c.*, (SELECT p.text FROM resource p WHERE p.type = 'Patient' AND p.id = c.account AND NOT p.deleted) AS account_patient,
      (SELECT s.revoked_at IS NOT NULL FROM smart_sign_in_session s WHERE s.id_digest = c.sign_in_session) AS session_ended
    FROM smart_code c WHERE c.code_digest = ${digest} FOR UPDATE OF c`);
  const row = rows[0];
  if (!row) return undefined;
  if (!row.used_at) await tx.query(sql`UPDATE smart_code SET used_at = ${now.toISOString()}::timestamptz WHERE code_digest = ${digest}`);
  return {
    digest,
    expired: new Date(row.expires_at) <= now,
    reused: row.used_at !== null,
    familyId: row.family_id ?? undefined,
    signedInBeforeMajority: signedInBeforeMajority(row.account_patient, new Date(row.auth_time ?? row.created_at), now),
    sessionEnded: row.session_ended === true,
    grant: {
      clientId: row.client_id,
      redirectUri: row.redirect_uri,
      codeChallenge: row.code_challenge,
      scope: row.scope.split(' ').filter(Boolean),
      nonce: row.nonce ?? undefined,
      account: row.account ?? undefined,
      signInSession: row.sign_in_session ?? undefined,
      authTime: row.auth_time ? new Date(row.auth_time) : undefined,
      subject: typeof row.subject === 'string' ? (JSON.parse(row.subject) as GrantSubject) : row.subject,
    },
  };
}

/**
 * Remembers the grant a code gave (its refresh family's id, or an id of its own when it gave no refresh token; column
 * `family_id`), so that presenting the code again revokes it and ends the access tokens that name it.
 */
export async function linkCodeFamily(tx: Statements, digest: string, familyId: string): Promise<void> {
  await tx.query(sql`UPDATE smart_code SET family_id = ${familyId} WHERE code_digest = ${digest}`);
}
