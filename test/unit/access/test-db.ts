import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { PGlite, type Transaction } from '@electric-sql/pglite';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
import type { Db, QueryResult } from '../../../src/store/db';
import { Sql } from '../../../src/store/sql';

const MIGRATIONS = path.resolve(__dirname, '../../../src/store/migrations');

/** A minimal Db over in-memory PGlite for unit tests (the core's drivers may not exist yet). */
class TestDb implements Db {
  readonly kind = 'pglite' as const;
  constructor(private readonly target: PGlite | Transaction) {}
  async query<T>(statement: Sql | string, values?: unknown[]): Promise<QueryResult<T>> {
    const q = statement instanceof Sql ? statement.toQuery() : { text: statement, values: values ?? [] };
    const result = await this.target.query<T>(q.text, q.values);
    return { rows: result.rows, rowCount: result.affectedRows ?? result.rows.length };
  }
  async transaction<T>(fn: (tx: Db) => Promise<T>): Promise<T> {
    if (!(this.target instanceof PGlite)) return fn(this);
    return this.target.transaction((tx) => fn(new TestDb(tx)));
  }
  async close(): Promise<void> {
    if (this.target instanceof PGlite) await this.target.close();
  }
}

/** Opens an in-memory PGlite with every migration of src/store/migrations applied in name order. */
export async function openTestDb(): Promise<Db> {
  const pglite = new PGlite({ extensions: { pg_trgm } });
  await pglite.exec('CREATE EXTENSION IF NOT EXISTS pg_trgm');
  for (const file of readdirSync(MIGRATIONS).filter((f) => f.endsWith('.sql')).sort()) {
    await pglite.exec(readFileSync(path.join(MIGRATIONS, file), 'utf8'));
  }
  return new TestDb(pglite);
}
