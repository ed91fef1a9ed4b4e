import { randomUUID } from 'node:crypto';
import type { Patient } from '@medplum/fhirtypes';
import { majorityDate, parisMidnight } from '../access/guardian-rules';
import type { Statements, Transactions } from '../store/db';
import { sql } from '../store/sql';
import { digestOf, newSecret } from './secrets';
import type { GrantSubject } from './subject';

/** A refresh-token family: one sign-in of one client, with what it granted. */
export interface RefreshFamily {
  id: string;
  clientId: string;
  scope: string[];
  subject: GrantSubject;
  /** The record whose credential signed in (its password change revokes the family: migration 195's trigger). */
  account?: string;
  /** The sign-in session of the authorization (ended with the family by the portal's sign-out, /auth/logout). */
  signInSession?: string;
}

interface TokenRow {
  family_id: string;
  expires_at: Date | string;
  used_at: Date | string | null;
  client_id: string;
  scope: string;
  subject: GrantSubject | string;
  revoked_at: Date | string | null;
  created_at: Date | string;
  account?: string | null;
  account_patient: string | null;
}

/** Why a refresh token was refused; `reused` means its family has just been revoked. */
export type RefreshRefusal = 'unknown' | 'expired' | 'ended' | 'revoked' | 'reused' | 'other-client' | 'before-majority';

/**
 * True when the sign-in that started the family happened before the 18th birthday (Europe/Paris) of the account's
 * holder and that birthday has passed: the credentials then may have been a parent's, and sign-in refuses them from
 * the birthday on (`auth/credential-majority.ts`); a refresh token must not carry that sign-in past it either.
 */
function startedBeforeMajority(row: TokenRow, now: Date): boolean {
  return signedInBeforeMajority(row.account_patient, new Date(row.created_at), now);
}

/**
 * True when a sign-in made at `signedInAt` came before the 18th birthday (Europe/Paris) of the account's holder (his
 * Patient as stored, JSON text) and `now` is on or after it: what that sign-in started must give nothing any more.
 */
export function signedInBeforeMajority(accountPatient: string | null, signedInAt: Date, now: Date): boolean {
  const majorityOn = accountPatient ? majorityDate((JSON.parse(accountPatient) as Patient).birthDate) : undefined;
  if (!majorityOn) return false;
  const majority = parisMidnight(majorityOn);
  return now >= majority && signedInAt < majority;
}

const at = (d: Date) => d.toISOString();

/**
 * The lifetimes a family's tokens are issued with: `ttl` for each refresh token (SMART_REFRESH_TOKEN_TTL, renewed by
 * rotation), `familyTtl` for the family itself from its sign-in (SMART_REFRESH_FAMILY_TTL), both in seconds.
 */
export interface RefreshLifetimes {
  now: Date;
  ttl: number;
  familyTtl: number;
}

/**
 * The instant a family started at `createdAt` ends (SMART_REFRESH_FAMILY_TTL after its sign-in). Before this bound a
 * family rotated for ever, and as it keeps its used tokens for reuse detection (a used token presented again revokes
 * it, however old), an app refreshing every quarter of an hour added 35,000 rows a year that nothing could prune. Its
 * tokens are issued to expire by then at the latest, it refreshes nothing after it, and the retention job deletes it
 * with all its tokens once what it gave can no longer be alive (token-retention.ts): a family holds at most its
 * lifetime's worth of rotations, and reuse detection stays whole while it lives; after, every token of it is refused.
 */
export function familyEnd(createdAt: Date, familyTtlS: number): Date {
  return new Date(createdAt.getTime() + familyTtlS * 1000);
}

/** Starts a family and issues its first token, in the caller's transaction. */
export async function startFamily(tx: Statements, family: Omit<RefreshFamily, 'id'>, o: RefreshLifetimes): Promise<{ familyId: string; token: string }> {
  const familyId = randomUUID();
  await tx.query(sql`INSERT INTO smart_refresh_family (id, client_id, scope, subject, account, sign_in_session, created_at)
    VALUES (${familyId}, ${family.clientId}, ${family.scope.join(' ')}, ${JSON.stringify(family.subject)}::jsonb, ${family.account ?? null}, ${family.signInSession ?? null}, ${at(o.now)}::timestamptz)`);
  return { familyId, token: await issueInFamily(tx, familyId, o.now, familyEnd(o.now, o.familyTtl), o.ttl) };
}

/** Issues a token of the family, expiring `ttl` seconds from now or at the family's end, whichever comes first. */
async function issueInFamily(tx: Statements, familyId: string, now: Date, ends: Date, ttl: number): Promise<string> {
  const token = newSecret();
  const expires = new Date(Math.min(now.getTime() + ttl * 1000, ends.getTime()));
  await tx.query(sql`INSERT INTO smart_refresh_token (token_digest, family_id, created_at, expires_at)
    VALUES (${digestOf(token)}, ${familyId}, ${at(now)}::timestamptz, ${at(expires)}::timestamptz)`);
  return token;
}

/** The token cut-off subject of a grant (a refresh family, or a code without one): its access tokens name it (`dmp_grant`). */
export const grantSubject = (grantId: string): string => `SmartGrant/${grantId}`;

/**
 * Revokes a grant: none of its tokens works any more (reuse detected, code replayed, app disconnected), neither its
 * refresh tokens (its family's, if it has one) nor the access tokens it gave, which die by a cut-off written in the same
 * transaction: a sign-out must not leave a copied access token (a portal cookie taken before it) reading the record for
 * its remaining minutes. The cut-off only moves forward, and a revoked family issues nothing after it.
 */
export async function revokeFamily(tx: Statements, grantId: string, reason: string, now: Date): Promise<void> {
  await tx.query(sql`UPDATE smart_refresh_family SET revoked_at = ${at(now)}::timestamptz, revoked_reason = ${reason}
    WHERE id = ${grantId} AND revoked_at IS NULL`);
  await tx.query(sql`SELECT token_cutoff_set(${grantSubject(grantId)}, ${reason})`);
}

/**
 * Rotates a refresh token (OAuth 2.0 Security BCP §4.14.2): the presented token is used up and a new one of the
 * same family is issued. A token presented a second time means two parties hold it: the whole family is revoked
 * (the legitimate app signs in again, the thief loses his copy).
 */
export async function rotateRefreshToken(db: Transactions, token: string, o: RefreshLifetimes & { clientId: string }): Promise<{ family: RefreshFamily; token: string } | { refused: RefreshRefusal }> {
  return db.transaction(async (tx) => {
    const digest = digestOf(token);
    const { rows } = await tx.query<TokenRow>(sql`SELECT t.family_id, t.expires_at, t.used_at, f.client_id, f.scope, f.subject, f.revoked_at, f.created_at, f.account,
        (SELECT p.text FROM resource p WHERE p.type = 'Patient' AND p.id = f.account AND NOT p.deleted) AS account_patient
      FROM smart_refresh_token t JOIN smart_refresh_family f ON f.id = t.family_id WHERE t.token_digest = ${digest} FOR UPDATE`);
    const row = rows[0];
    if (!row) return { refused: 'unknown' as const };
    // Another client presenting it learns nothing and changes nothing: the token is bound to its client.
    if (row.client_id !== o.clientId) return { refused: 'other-client' as const };
    if (row.revoked_at) return { refused: 'revoked' as const };
    if (row.used_at) {
      await revokeFamily(tx, row.family_id, 'refresh token reused', o.now);
      return { refused: 'reused' as const };
    }
    // The family's end first: its tokens expire by it, and the app must be told to sign in again, not that one expired.
    // (A token issued before families had an end, or under a longer SMART_REFRESH_FAMILY_TTL, may expire after it.)
    const ends = familyEnd(new Date(row.created_at), o.familyTtl);
    if (ends <= o.now) return { refused: 'ended' as const };
    if (new Date(row.expires_at) <= o.now) return { refused: 'expired' as const };
    if (startedBeforeMajority(row, o.now)) {
      await revokeFamily(tx, row.family_id, 'signed in before the majority of the account holder', o.now);
      return { refused: 'before-majority' as const };
    }
    await tx.query(sql`UPDATE smart_refresh_token SET used_at = ${at(o.now)}::timestamptz WHERE token_digest = ${digest}`);
    const subject = typeof row.subject === 'string' ? (JSON.parse(row.subject) as GrantSubject) : row.subject;
    // The account goes with the family: the access tokens it issues die with that account's new password (issue 11).
    const family: RefreshFamily = { id: row.family_id, clientId: row.client_id, scope: row.scope.split(' ').filter(Boolean), subject, account: row.account ?? undefined };
    return { family, token: await issueInFamily(tx, row.family_id, o.now, ends, o.ttl) };
  });
}

/**
 * RFC 7009: revokes the family of a refresh token presented by its own client; anything else is silently ignored.
 * Returns the sign-in session the family was granted in, for a sign-out that ends it too (`/auth/logout`).
 */
export async function revokeByToken(db: Transactions, token: string, clientId: string, now: Date): Promise<{ signInSession?: string }> {
  return db.transaction(async (tx) => {
    const { rows } = await tx.query<{ family_id: string; client_id: string; sign_in_session: string | null }>(sql`SELECT t.family_id, f.client_id, f.sign_in_session
      FROM smart_refresh_token t JOIN smart_refresh_family f ON f.id = t.family_id WHERE t.token_digest = ${digestOf(token)}`);
    if (!rows[0] || rows[0].client_id !== clientId) return {};
    await revokeFamily(tx, rows[0].family_id, 'revoked by the client', now);
    return { signInSession: rows[0].sign_in_session ?? undefined };
  });
}

/**
 * The client a refresh token was issued to, or undefined if the token is unknown. Only for a refresh request that
 * names no client: a public client may refresh without authenticating (RFC 6749 §6), the token being bound to it.
 */
export async function refreshTokenClient(db: Statements, token: string): Promise<string | undefined> {
  const { rows } = await db.query<{ client_id: string }>(sql`SELECT f.client_id FROM smart_refresh_token t JOIN smart_refresh_family f ON f.id = t.family_id
    WHERE t.token_digest = ${digestOf(token)}`);
  return rows[0]?.client_id;
}

/**
 * Revokes the grant an access token came from (RFC 7009 §2.1: revoking an access token MAY revoke the refresh token
 * of the same grant): its refresh family if it has one, and every access token it gave (`revokeFamily` writes their
 * cut-off). Before, /auth/revoke answered 200 to an access token and left it reading the record until it expired: an
 * app without a refresh token (no `offline_access`) had no way to end its access, and was told it had.
 * Returns the sign-in session the grant was made in (a sign-out ends it too), from its family or from its code.
 */
export async function revokeGrant(db: Transactions, grantId: string, now: Date): Promise<{ signInSession?: string }> {
  return db.transaction(async (tx) => {
    await revokeFamily(tx, grantId, 'revoked by the client', now);
    const family = await tx.query<{ sign_in_session: string | null }>(sql`SELECT sign_in_session FROM smart_refresh_family WHERE id = ${grantId}`);
    if (family.rows[0]) return { signInSession: family.rows[0].sign_in_session ?? undefined };
    // A grant without refresh token is its code's own id (`linkCodeFamily`). Codes are pruned an hour past their expiry:
    // an older grant names no session any more, and its tokens are revoked all the same (the cut-off above).
    const code = await tx.query<{ sign_in_session: string | null }>(sql`SELECT sign_in_session FROM smart_code WHERE family_id = ${grantId}`);
    return { signInSession: code.rows[0]?.sign_in_session ?? undefined };
  });
}
