import fs from 'node:fs';
import type { Db } from './db';
import { PgDb, type PgDbOptions } from './pg-db';
import { PgliteDb } from './pglite-db';

/** Opens PostgreSQL when a URL is given, else embedded PGlite in dataDir (created if missing). */
export async function openDb(options: { databaseUrl?: string; dataDir?: string; poolSize?: number } & PgDbOptions): Promise<Db> {
  if (options.databaseUrl) {
    const db = new PgDb(options.databaseUrl, options.poolSize, options);
    // Several hosts or target_session_attrs=read-write: start on the primary (migrations write).
    await db.selectHost();
    return db;
  }
  if (options.dataDir) fs.mkdirSync(options.dataDir, { recursive: true });
  return PgliteDb.open(options.dataDir);
}
