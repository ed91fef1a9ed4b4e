import type { Statements } from '../store/db';
import { raw, sql } from '../store/sql';

/** The failure-count tables whose rows are forgotten after their window (migration 201, `forget_at`). */
export type FailureCountTable = 'login_attempt' | 'account_attempt';

/**
 * Deletes a table's counts that no longer matter at `now` (`forget_at` passed, no lock running), or in a dry run counts
 * them: the purge job's, so that an enumeration (one row per guessed identifier or key) does not pile rows up. Known
 * keys' forgotten rows go too: a forgotten count answers exactly as no row.
 */
export async function pruneForgottenCounts(db: Statements, table: FailureCountTable, now: Date, dryRun = false): Promise<number> {
  const at = now.toISOString();
  // `table` is one of two fixed names (the type), never input.
  const forgotten = sql`FROM ${raw(table)} WHERE forget_at <= ${at}::timestamptz AND (locked_until IS NULL OR locked_until <= ${at}::timestamptz)`;
  if (dryRun) {
    const { rows } = await db.query<{ n: string }>(sql`SELECT count(*)::text AS n ${forgotten}`);
    return Number(rows[0]?.n ?? 0);
  }
  return (await db.query(sql`DELETE ${forgotten}`)).rowCount;
}
