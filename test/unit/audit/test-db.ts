import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
import { PgliteDb } from '../../../src/store/pglite-db';

const MIGRATIONS = path.join(__dirname, '../../../src/store/migrations');

/** A fresh in-memory database with every migration applied in name order (the core's runner may not exist yet). */
export async function openTestDb(): Promise<PgliteDb> {
  const pglite = new PGlite({ extensions: { pg_trgm } });
  await pglite.exec('CREATE EXTENSION IF NOT EXISTS pg_trgm');
  for (const file of readdirSync(MIGRATIONS).filter((f) => f.endsWith('.sql')).sort()) {
    await pglite.exec(readFileSync(path.join(MIGRATIONS, file), 'utf8'));
  }
  return new PgliteDb(pglite);
}
