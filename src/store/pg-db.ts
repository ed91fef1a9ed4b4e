import pg from 'pg';
import type { Db, QueryResult } from './db';
import { Sql } from './sql';

// int8 (bigint) as JS number: our counters (rid, counts) stay far below 2^53.
pg.types.setTypeParser(20, (v) => Number(v));

function toArgs(statement: Sql | string, values?: unknown[]): { text: string; values: unknown[] } {
  return statement instanceof Sql ? statement.toQuery() : { text: statement, values: values ?? [] };
}

class PgClientDb implements Db {
  readonly kind = 'pg' as const;
  constructor(private readonly client: pg.PoolClient) {}

  async query<T>(statement: Sql | string, values?: unknown[]): Promise<QueryResult<T>> {
    const result = await this.client.query(toArgs(statement, values));
    return { rows: result.rows as T[], rowCount: result.rowCount ?? 0 };
  }

  // Already inside a transaction: nested calls join it (batch entries open their own at the top level).
  async transaction<T>(fn: (tx: Db) => Promise<T>): Promise<T> {
    return fn(this);
  }

  async close(): Promise<void> {}
}

/** Db over a node-postgres pool. */
export class PgDb implements Db {
  readonly kind = 'pg' as const;
  readonly pool: pg.Pool;

  constructor(connectionString: string, poolSize = 10) {
    this.pool = new pg.Pool({ connectionString, max: poolSize });
    // An idle client losing its connection must not crash the process.
    this.pool.on('error', () => undefined);
  }

  async query<T>(statement: Sql | string, values?: unknown[]): Promise<QueryResult<T>> {
    const result = await this.pool.query(toArgs(statement, values));
    return { rows: result.rows as T[], rowCount: result.rowCount ?? 0 };
  }

  async transaction<T>(fn: (tx: Db) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const result = await fn(new PgClientDb(client));
      await client.query('COMMIT');
      return result;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
