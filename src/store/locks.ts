import { createHash } from 'node:crypto';
import type { Statements } from './db';
import { sql } from '../kernel/sql';

/** Takes a transaction-scoped advisory lock keyed by a string (no-op cost outside contention). */
export async function advisoryLock(db: Statements, key: string): Promise<void> {
  const hash = createHash('sha1').update(key).digest();
  await db.query(sql`SELECT pg_advisory_xact_lock(${hash.readInt32BE(0)}, ${hash.readInt32BE(4)})`);
}
