import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { PgliteDb } from '../../../src/store/pglite-db';

const MIGRATIONS = path.join(__dirname, '../../../src/store/migrations');

/** A fresh in-memory PGlite database with every migration applied in name order. */
export async function openTestDb(): Promise<PgliteDb> {
  const db = await PgliteDb.open();
  await db.query('CREATE EXTENSION IF NOT EXISTS pg_trgm');
  for (const file of readdirSync(MIGRATIONS).filter((f) => f.endsWith('.sql')).sort()) {
    await db.query(readFileSync(path.join(MIGRATIONS, file), 'utf8'));
  }
  return db;
}
