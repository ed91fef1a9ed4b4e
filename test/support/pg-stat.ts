import pg from 'pg';
import type { Db } from '../../src/store/db';

/**
 * Reads one counter of PostgreSQL's cumulative statistics (`pg_stat_user_tables`, `pg_stat_user_indexes` …) after
 * flushing `db`'s pending counts: a backend reports its counts at the end of a transaction at the earliest, and to
 * other sessions only once flushed. Read from a connection of its own, so the reading itself counts on neither side.
 */
export async function readStatCounter(db: Db, url: string, query: string): Promise<number> {
  await db.query('SELECT pg_stat_force_next_flush()');
  const reader = new pg.Client({ connectionString: url });
  await reader.connect();
  try {
    const { rows } = await reader.query<{ n: string }>(query);
    return Number(rows[0].n);
  } finally {
    await reader.end();
  }
}
