import type { Patient } from '@medplum/fhirtypes';
import { majorityDate, parisMidnight } from '../access/guardian-rules';
import type { Statements } from '../store/db';
import { sql } from '../store/sql';
import { digestOf, newSecret } from './secrets';

/**
 * A live sign-in session of the authorization server (migration 199): who typed his password and code in this
 * browser, and when. It spares the password and the code of a later authorization, never its record choice nor
 * its consent.
 */
export interface SignInSession {
  /** The stored digest of the cookie's secret (what codes and refresh families name). */
  id: string;
  /** The person's own record (whose credential signed in). */
  account: string;
  /** When he typed his password and code (OpenID Connect `auth_time`). */
  authTime: Date;
}

interface Row {
  id_digest: string;
  account: string;
  created_at: Date | string;
  closed_at: Date | string | null;
  account_patient: string | null;
}

const at = (d: Date) => d.toISOString();

/** Opens a session for a person who just typed his password and code; returns it and the cookie's secret. */
export async function openSignInSession(db: Statements, account: string, o: { now: Date; ttl: number }): Promise<{ session: SignInSession; secret: string }> {
  const secret = newSecret();
  const id = digestOf(secret);
  // Sessions ended more than a day ago are of no use to anyone: pruned as new ones open (index on expires_at).
  await db.query(sql`DELETE FROM smart_sign_in_session WHERE expires_at < ${at(new Date(o.now.getTime() - 86_400_000))}::timestamptz`);
  await db.query(sql`INSERT INTO smart_sign_in_session (id_digest, account, created_at, last_used_at, expires_at)
    VALUES (${id}, ${account}, ${at(o.now)}::timestamptz, ${at(o.now)}::timestamptz, ${at(new Date(o.now.getTime() + o.ttl * 1000))}::timestamptz)`);
  return { session: { id, account, authTime: o.now }, secret };
}

/**
 * True when the session must end although it is within its time: the account holder closed his record after
 * signing in, or turned 18 since (a sign-in made before the majority may have been a parent's with the child's
 * credentials; `auth/credential-majority.ts` refuses those from the birthday on).
 */
function endedByRecord(row: Row, now: Date): string | undefined {
  const createdAt = new Date(row.created_at);
  if (row.closed_at && new Date(row.closed_at) >= createdAt) return 'record closed';
  const majorityOn = row.account_patient ? majorityDate((JSON.parse(row.account_patient) as Patient).birthDate) : undefined;
  if (majorityOn && now >= parisMidnight(majorityOn) && createdAt < parisMidnight(majorityOn)) return 'account holder came of age';
  if (!row.account_patient) return 'record removed';
  return undefined;
}

/** What a browser's cookie gives: a session to use, or none (`alive` says whether the cookie should be kept). */
export type SessionUse = { session: SignInSession } | { session?: undefined; alive: boolean };

/**
 * Uses the session a browser's cookie names: live (not revoked, before its absolute end, used within the idle
 * limit, its record neither closed nor handed over since) and recent enough for the app's `max_age`, it is marked
 * used now and returned. A session found dead for a reason of its record is revoked, so that it stays dead. One
 * too old for `max_age` is left as it is (alive, unused): the app only wants the password typed again.
 */
export async function useSignInSession(db: Statements, secret: string, o: { now: Date; idle: number; maxAge?: number }): Promise<SessionUse> {
  const id = digestOf(secret);
  const idleSince = at(new Date(o.now.getTime() - o.idle * 1000));
  const typedSince = at(new Date(o.maxAge === undefined ? 0 : o.now.getTime() - o.maxAge * 1000));
  // One statement checks and marks it used: two tabs cannot both revive a session past its idle limit.
  const { rows } = await db.query<Row>(sql`UPDATE smart_sign_in_session s
    SET last_used_at = CASE WHEN s.created_at >= ${typedSince}::timestamptz THEN ${at(o.now)}::timestamptz ELSE s.last_used_at END
    WHERE s.id_digest = ${id} AND s.revoked_at IS NULL AND s.expires_at > ${at(o.now)}::timestamptz AND s.last_used_at > ${idleSince}::timestamptz
    RETURNING s.id_digest, s.account, s.created_at,
      (SELECT ar.closed_at FROM access_record ar WHERE ar.patient_id = s.account AND ar.closed) AS closed_at,
      (SELECT p.text FROM resource p WHERE p.type = 'Patient' AND p.id = s.account AND NOT p.deleted) AS account_patient`);
  const row = rows[0];
  if (!row) return { alive: false };
  const ended = endedByRecord(row, o.now);
  if (ended) {
    await endSignInSession(db, row.id_digest, ended, o.now);
    return { alive: false };
  }
  const authTime = new Date(row.created_at);
  // OpenID Connect max_age: the app wants a password typed within that many seconds; an older one does not do.
  if (authTime.getTime() < Date.parse(typedSince)) return { alive: true };
  return { session: { id: row.id_digest, account: row.account, authTime } };
}

/** The session a cookie names, whatever its state (to end it when the browser signs in again), or undefined. */
export const sessionIdOf = (secret: string | undefined): string | undefined => (secret ? digestOf(secret) : undefined);

/** Ends a session (sign-out, a new sign-in in the same browser, its record closed): its cookie no longer works. */
export async function endSignInSession(db: Statements, id: string, reason: string, now: Date): Promise<void> {
  await db.query(sql`UPDATE smart_sign_in_session SET revoked_at = ${at(now)}::timestamptz, revoked_reason = ${reason}
    WHERE id_digest = ${id} AND revoked_at IS NULL`);
}

/**
 * True when a session was ended (sign-out, new password, record closed …) or is gone: an authorization it signed in
 * and still open must not give a code after that, even within its ten minutes.
 */
export async function isSignInSessionEnded(db: Statements, id: string): Promise<boolean> {
  const { rows } = await db.query<{ revoked_at: Date | string | null }>(sql`SELECT revoked_at FROM smart_sign_in_session WHERE id_digest = ${id}`);
  return !rows[0] || rows[0].revoked_at !== null;
}
