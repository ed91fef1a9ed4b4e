import type { Statements } from '../store/db';
import { sql } from '../store/sql';
import { pruneForgottenCounts } from './forgotten-counts';

/** Failures allowed, and how long the key stays locked once they are reached. */
export interface AttemptLimit {
  maxFailures: number;
  lockSeconds: number;
}

const toDate = (value: Date | string): Date => (value instanceof Date ? value : new Date(value));

/**
 * Reserves one attempt for a key (a record, or an unknown key answered the same way) before its code is compared,
 * like `reserveAttempt` of the sign-in (login-attempts.ts), in table `account_attempt` (migration 151): counted as
 * failed, and locking the key when it reaches the limit. Returns the lock's end when the key is locked. As for the
 * sign-in, a count whose last attempt is older than the lock duration (`forget_at`, migration 201) starts over.
 */
export async function reserveAccountAttempt(db: Statements, purpose: string, key: string, limit: AttemptLimit, at: Date): Promise<{ lockedUntil?: Date }> {
  const now = at.toISOString();
  const lockUntil = new Date(at.getTime() + limit.lockSeconds * 1000).toISOString();
  const { rows } = await db.query<{ locked_until: Date | string | null }>(sql`INSERT INTO account_attempt AS a (purpose, key, failed_count, locked_until, updated_at, forget_at)
    VALUES (${purpose}, ${key}, 1, CASE WHEN 1 >= ${limit.maxFailures}::int THEN ${lockUntil}::timestamptz END, ${now}::timestamptz, ${lockUntil}::timestamptz)
    ON CONFLICT (purpose, key) DO UPDATE SET
      failed_count = CASE WHEN a.locked_until IS NOT NULL OR a.forget_at <= EXCLUDED.updated_at THEN 1 ELSE a.failed_count + 1 END,
      locked_until = CASE WHEN (CASE WHEN a.locked_until IS NOT NULL OR a.forget_at <= EXCLUDED.updated_at THEN 1 ELSE a.failed_count + 1 END) >= ${limit.maxFailures}::int
        THEN ${lockUntil}::timestamptz END,
      updated_at = EXCLUDED.updated_at,
      forget_at = EXCLUDED.forget_at
    WHERE a.locked_until IS NULL OR a.locked_until <= EXCLUDED.updated_at
    RETURNING a.locked_until`);
  if (rows.length) return {};
  const lock = await db.query<{ locked_until: Date | string | null }>(sql`SELECT locked_until FROM account_attempt WHERE purpose = ${purpose} AND key = ${key}`);
  const until = lock.rows[0]?.locked_until;
  return { lockedUntil: until && toDate(until) > at ? toDate(until) : new Date(at.getTime() + 1000) };
}

/** Forgets the failures of a key once its code was accepted. */
export async function clearAccountAttempts(db: Statements, purpose: string, key: string): Promise<void> {
  await db.query(sql`DELETE FROM account_attempt WHERE purpose = ${purpose} AND key = ${key}`);
}

/** The purge job's pruning of forgotten account_attempt rows (forgotten-counts.ts). */
export function pruneAccountAttempts(db: Statements, now: Date, dryRun = false): Promise<number> {
  return pruneForgottenCounts(db, 'account_attempt', now, dryRun);
}
