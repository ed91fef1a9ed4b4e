import fs from 'node:fs';
import path from 'node:path';
import type { Db } from './db';

/** Where the .sql files live: beside this module (copied at build) or in the sources. */
export function migrationsDir(): string {
  const beside = path.join(__dirname, 'migrations');
  return fs.existsSync(beside) ? beside : path.resolve(__dirname, '../../src/store/migrations');
}

/**
 * Applies every `NNN_name.sql` not yet applied, in name order, each in its own transaction, under an
 * advisory lock so that two processes starting together do not race.
 */
export async function migrate(db: Db, dir = migrationsDir()): Promise<string[]> {
  const files = fs.readdirSync(dir).filter((f) => /^\d{3}_.+\.sql$/.test(f)).sort();
  await db.query('CREATE EXTENSION IF NOT EXISTS pg_trgm');
  await db.query(`CREATE TABLE IF NOT EXISTS schema_migration (name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`);
  const applied: string[] = [];
  for (const file of files) {
    const done = await db.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock(7242001)');
      const seen = await tx.query('SELECT 1 FROM schema_migration WHERE name = $1', [file]);
      if (seen.rows.length) return false;
      await tx.query(fs.readFileSync(path.join(dir, file), 'utf8'));
      await tx.query('INSERT INTO schema_migration (name) VALUES ($1)', [file]);
      return true;
    });
    if (done) applied.push(file);
  }
  return applied;
}
