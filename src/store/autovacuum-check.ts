import type { Logger } from '../logger';
import type { Db } from './db';

/**
 * Says at start when PostgreSQL runs without autovacuum. Statistics then change only when someone runs ANALYZE, and
 * the server's connections keep the plans they made (`PgDb`): a table that grew since (audit trail, records,
 * consents) is read with plans made for its old size until the pool replaces the connection
 * (`DB_CONNECTION_LIFETIME_S`). Not an error: some operators analyze on a schedule; they are told why it matters.
 */
export async function warnWithoutAutovacuum(db: Db, logger: Logger): Promise<void> {
  if (db.kind !== 'pg') return;
  const { rows } = await db.query<{ autovacuum: string }>('SHOW autovacuum');
  if (rows[0]?.autovacuum !== 'off') return;
  logger.warn('PostgreSQL runs with autovacuum off: table statistics change only when ANALYZE is run, so plans may lag behind the data (run ANALYZE regularly, or turn autovacuum on)');
}
