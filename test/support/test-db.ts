import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { Db } from '../../src/store/db';
import { migrate } from '../../src/store/migrate';
import { PgDb } from '../../src/store/pg-db';
import { PgliteDb } from '../../src/store/pglite-db';

export type DbKind = 'pg' | 'pglite';

/** The store kinds a suite should run against: PGlite always, PostgreSQL when TEST_DATABASE_URL is set. */
export function availableDbKinds(): DbKind[] {
  return process.env.TEST_DATABASE_URL ? ['pglite', 'pg'] : ['pglite'];
}

/** The default kind for API tests: the real PostgreSQL server when configured, else PGlite. */
export function defaultDbKind(): DbKind {
  return process.env.TEST_DATABASE_URL ? 'pg' : 'pglite';
}

export interface TestDb {
  db: Db;
  /** Connection string of the fresh database (pg only), for processes started by the test. */
  url?: string;
  drop(): Promise<void>;
}

/**
 * A fresh, migrated database for one test file: a new PostgreSQL database created beside
 * TEST_DATABASE_URL's (dropped afterwards), or an in-memory PGlite.
 */
export async function createTestDb(kind: DbKind = defaultDbKind()): Promise<TestDb> {
  if (kind === 'pglite') {
    const db = await PgliteDb.open();
    await migrate(db);
    return { db, drop: () => db.close() };
  }
  const adminUrl = process.env.TEST_DATABASE_URL;
  if (!adminUrl) throw new Error('TEST_DATABASE_URL is not set');
  const base = new URL(adminUrl);
  const name = `${base.pathname.slice(1) || 'test'}_t${process.pid}_${randomBytes(4).toString('hex')}`.slice(0, 63);
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${name}"`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const db = new PgDb(url.toString(), 5);
  await migrate(db);
  return {
    db,
    url: url.toString(),
    drop: async () => {
      await db.close();
      const cleanup = new pg.Client({ connectionString: adminUrl });
      await cleanup.connect();
      await cleanup.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await cleanup.end();
    },
  };
}
