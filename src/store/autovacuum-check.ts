import type { Db } from './db';

/**
 * What the server says at start when PostgreSQL runs without autovacuum. Statistics then change only when someone
 * runs ANALYZE, and the server's connections keep the plans they made (`PgDb`): a table that grew since (audit trail,
 * records, consents) is read with plans made for its old size until the pool replaces the connection
 * (`DB_CONNECTION_LIFETIME_S`). Not an error: some operators analyze on a schedule; they are told why it matters.
 */
export const AUTOVACUUM_OFF_WARNING =
  'PostgreSQL runs with autovacuum off: table statistics change only when ANALYZE is run, so plans may lag behind the data (run ANALYZE regularly, or turn autovacuum on)';

/** Whether the database is PostgreSQL running with autovacuum off (PGlite: not asked). */
export async function runsWithoutAutovacuum(db: Db): Promise<boolean> {
  if (db.kind !== 'pg') return false;
  const { rows } = await db.query<{ autovacuum: string }>('SHOW autovacuum');
  return rows[0]?.autovacuum === 'off';
}
