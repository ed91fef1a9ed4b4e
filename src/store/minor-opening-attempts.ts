import type { Statements, Transactions } from './db';
import { advisoryLock } from './locks';
import { sql } from './sql';

/** A parent's recent attempts at opening a child's record, as the caps count them (migration 176). */
export interface OpeningCounts {
  /** Attempts (any outcome) since `attemptsSince`, oldest first: their instants. */
  attempts: Date[];
  /** Openings done or running (outcome 'opened' or 'pending') since `openingsSince`, oldest first. */
  openings: Date[];
}

/**
 * Counts the parent's attempts and openings and, when `admit` accepts the counts, records a new 'pending' attempt —
 * in one transaction under an advisory lock per parent, committed before the opening runs, so that parallel attempts
 * are counted one after the other and none passes the caps. Answers the new attempt's id, or the counts that refused it.
 */
export async function reserveOpeningAttempt(
  db: Transactions,
  input: { parentId: string; at: Date; attemptsSince: Date; openingsSince: Date; admit: (counts: OpeningCounts) => boolean },
): Promise<{ id: string } | { refused: OpeningCounts }> {
  return db.transaction(async (tx) => {
    await advisoryLock(tx, `minor-opening:${input.parentId}`);
    const { rows } = await tx.query<{ attempted_at: Date | string; outcome: string }>(sql`SELECT attempted_at, outcome FROM minor_opening_attempt
      WHERE parent_id = ${input.parentId} AND attempted_at >= ${input.openingsSince < input.attemptsSince ? input.openingsSince.toISOString() : input.attemptsSince.toISOString()}::timestamptz
      ORDER BY attempted_at`);
    const at = (r: { attempted_at: Date | string }) => new Date(r.attempted_at);
    const counts: OpeningCounts = {
      attempts: rows.map(at).filter((d) => d >= input.attemptsSince),
      openings: rows.filter((r) => r.outcome !== 'refused').map(at).filter((d) => d >= input.openingsSince),
    };
    if (!input.admit(counts)) return { refused: counts };
    const inserted = await tx.query<{ id: string }>(sql`INSERT INTO minor_opening_attempt (parent_id, attempted_at)
      VALUES (${input.parentId}, ${input.at.toISOString()}::timestamptz) RETURNING id::text AS id`);
    return { id: inserted.rows[0].id };
  });
}

/** Marks an attempt as the opening of `childId` (in the opening's transaction: it commits with the record). */
export async function markOpeningDone(tx: Statements, id: string, childId: string): Promise<void> {
  await tx.query(sql`UPDATE minor_opening_attempt SET outcome = 'opened', child_id = ${childId} WHERE id = ${id}::bigint`);
}

/** Marks an attempt refused (its opening failed and rolled back): it still counts as an attempt, no longer as an opening. */
export async function markOpeningRefused(db: Statements, id: string): Promise<void> {
  await db.query(sql`UPDATE minor_opening_attempt SET outcome = 'refused' WHERE id = ${id}::bigint AND outcome = 'pending'`);
}

/**
 * Deletes the attempts older than `before` (the longest window of the caps, 365 days: older ones count for nothing), or
 * in a dry run counts them. Kept longer they would only be a list of whom each parent tried to open a record for.
 */
export async function purgeOpeningAttemptsBefore(db: Statements, before: Date, dryRun = false): Promise<number> {
  const cutoff = before.toISOString();
  if (dryRun) {
    const { rows } = await db.query<{ n: string }>(sql`SELECT count(*)::text AS n FROM minor_opening_attempt WHERE attempted_at < ${cutoff}::timestamptz`);
    return Number(rows[0]?.n ?? 0);
  }
  return (await db.query(sql`DELETE FROM minor_opening_attempt WHERE attempted_at < ${cutoff}::timestamptz`)).rowCount;
}
