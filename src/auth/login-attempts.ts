import type { Statements } from '../store/db';
import { sql } from '../store/sql';
import { pruneForgottenCounts } from './forgotten-counts';
import type { LoginConfig } from './auth-config';

/**
 * A sign-in attempt counted as failed before its password or code is checked. `lockedUntil` is set when this
 * attempt reached the limit (it locked the identifier: a failure then answers 423 instead of 401).
 */
export interface Reservation {
  login: string;
  lockedUntil?: Date;
}

/** Why no attempt could be reserved: the identifier is locked until then. */
export interface Refusal {
  locked: Date;
}

const toDate = (value: Date | string): Date => (value instanceof Date ? value : new Date(value));

/**
 * Reserves one attempt for an identifier, known or not (migration 141): in one statement, counts it as failed and
 * sets the lock when it reaches `maxFailures`, unless the identifier is locked. Parallel attempts therefore cannot
 * all pass: at most `maxFailures` are reserved per lock window, whatever their number. A lock that has expired, or a
 * count whose last attempt is older than the lock duration (`forget_at`, migration 201), starts a new count: spacing
 * guesses out gains no more than waiting for the lock to end, and a forgotten row answers as no row at all.
 */
export async function reserveAttempt(db: Statements, config: LoginConfig, login: string, at: Date): Promise<Reservation | Refusal> {
  const now = at.toISOString();
  const lockUntil = new Date(at.getTime() + config.lockSeconds * 1000).toISOString();
  const max = config.maxFailures;
  // The lock and the count's window end together: `lockUntil` is also this row's `forget_at`.
  const { rows } = await db.query<{ locked_until: Date | string | null }>(sql`INSERT INTO login_attempt AS a (login, failed_count, locked_until, updated_at, forget_at)
    VALUES (${login}, 1, CASE WHEN 1 >= ${max}::int THEN ${lockUntil}::timestamptz END, ${now}::timestamptz, ${lockUntil}::timestamptz)
    ON CONFLICT (login) DO UPDATE SET
      failed_count = CASE WHEN a.locked_until IS NOT NULL OR a.forget_at <= EXCLUDED.updated_at THEN 1 ELSE a.failed_count + 1 END,
      locked_until = CASE WHEN (CASE WHEN a.locked_until IS NOT NULL OR a.forget_at <= EXCLUDED.updated_at THEN 1 ELSE a.failed_count + 1 END) >= ${max}::int
        THEN ${lockUntil}::timestamptz END,
      updated_at = EXCLUDED.updated_at,
      forget_at = EXCLUDED.forget_at
    WHERE a.locked_until IS NULL OR a.locked_until <= EXCLUDED.updated_at
    RETURNING a.locked_until`);
  if (rows.length) {
    const until = rows[0].locked_until;
    return until ? { login, lockedUntil: toDate(until) } : { login };
  }
  // Locked: read until when, for Retry-After (the lock may have just expired: answer one second then).
  const lock = await db.query<{ locked_until: Date | string | null }>(sql`SELECT locked_until FROM login_attempt WHERE login = ${login}`);
  const until = lock.rows[0]?.locked_until;
  return { locked: until && toDate(until) > at ? toDate(until) : new Date(at.getTime() + 1000) };
}

/** True when the attempt was refused because the identifier is locked. */
export function isRefusal(result: Reservation | Refusal): result is Refusal {
  return 'locked' in result;
}

/**
 * Gives back a reserved attempt that did not fail (a right password: the code step is still to come), and the
 * lock it set, if any: consecutive failures only count.
 */
export async function releaseAttempt(db: Statements, reservation: Reservation): Promise<void> {
  const setLock = reservation.lockedUntil?.toISOString() ?? null;
  await db.query(sql`UPDATE login_attempt SET failed_count = GREATEST(failed_count - 1, 0),
    locked_until = CASE WHEN locked_until = ${setLock}::timestamptz THEN NULL ELSE locked_until END
    WHERE login = ${reservation.login}`);
}

/** Forgets the failures of an identifier: after a complete sign-in, or when the patient sets his password. */
export async function clearAttempts(db: Statements, login: string): Promise<void> {
  await db.query(sql`DELETE FROM login_attempt WHERE login = ${login}`);
}

/** The purge job's pruning of forgotten login_attempt rows (forgotten-counts.ts). */
export function pruneLoginAttempts(db: Statements, now: Date, dryRun = false): Promise<number> {
  return pruneForgottenCounts(db, 'login_attempt', now, dryRun);
}
