import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** A database for one phase: created fresh (and dropped at the end) or given by DATABASE_URL. */
export interface BenchDatabase {
  url: string;
  created: boolean;
  drop(): Promise<void>;
}

async function adminQuery(adminUrl: string, statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

/** Creates `bench_<random>` on the admin URL's server. */
export async function createBenchDatabase(adminUrl: string): Promise<BenchDatabase> {
  const name = `bench_${randomBytes(4).toString('hex')}`;
  await adminQuery(adminUrl, `CREATE DATABASE "${name}"`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    created: true,
    drop: () => adminQuery(adminUrl, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`),
  };
}

/** An existing database (DATABASE_URL): never dropped. */
export function existingDatabase(url: string): BenchDatabase {
  return { url, created: false, drop: async () => undefined };
}
