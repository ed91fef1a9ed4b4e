import { PGlite, type Extension, type Transaction } from '@electric-sql/pglite';
import type { Db, QueryResult } from './db';
import { beginSettling, settle } from './settle';
import { Sql } from '../kernel/sql';
import { lockDataDir } from './pglite-dir-lock';

// The contrib subpath ships ESM typings only, which `moduleResolution: node` cannot see; its CJS build loads fine.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { pg_trgm } = require('@electric-sql/pglite/contrib/pg_trgm') as { pg_trgm: Extension };

type Queryable = PGlite | Transaction;

function toArgs(statement: Sql | string, values?: unknown[]): { text: string; values: unknown[] } {
  return statement instanceof Sql ? statement.toQuery() : { text: statement, values: values ?? [] };
}

function normaliseRows<T>(rows: unknown[]): T[] {
  // PGlite returns int8 as bigint; the pg driver is set to numbers: keep one shape.
  for (const row of rows as Record<string, unknown>[]) {
    for (const key in row) if (typeof row[key] === 'bigint') row[key] = Number(row[key]);
  }
  return rows as T[];
}

class PgliteQueryDb implements Db {
  readonly kind = 'pglite' as const;
  constructor(
    protected readonly target: Queryable,
    private readonly inTransaction: boolean,
  ) {}

  async query<T>(statement: Sql | string, values?: unknown[]): Promise<QueryResult<T>> {
    const { text, values: params } = toArgs(statement, values);
    // Multi-statement text without parameters (migrations) needs exec().
    if (params.length === 0 && statement instanceof Sql === false && text.includes(';')) {
      const results = await this.target.exec(text);
      const last = results[results.length - 1];
      return { rows: normaliseRows<T>(last?.rows ?? []), rowCount: last?.affectedRows ?? 0 };
    }
    const result = await this.target.query(text, params);
    return { rows: normaliseRows<T>(result.rows), rowCount: result.affectedRows ?? result.rows.length };
  }

  async transaction<T>(fn: (tx: Db) => Promise<T>): Promise<T> {
    if (this.inTransaction) return fn(this);
    let txDb: Db | undefined;
    let committed = false;
    try {
      const result = await (this.target as PGlite).transaction((tx) => {
        txDb = new PgliteQueryDb(tx, true);
        beginSettling(txDb);
        return fn(txDb);
      });
      committed = true;
      return result;
    } finally {
      if (txDb) settle(txDb, committed);
    }
  }

  async close(): Promise<void> {
    if (!this.inTransaction) await (this.target as PGlite).close();
  }
}

/** Db over embedded PGlite (in memory when dataDir is undefined). For evaluation: PGlite does not fsync. */
export class PgliteDb extends PgliteQueryDb {
  constructor(
    readonly pglite: PGlite,
    private readonly releaseDir: () => void = () => {},
  ) {
    super(pglite, false);
  }

  /**
   * Opens (creating if needed) a PGlite database with the extensions our schema uses. A data directory is taken for
   * this process first (`lockDataDir`): one open in another live process is refused, never opened twice.
   */
  static async open(dataDir?: string): Promise<PgliteDb> {
    const release = dataDir ? lockDataDir(dataDir) : () => {};
    try {
      const pglite = await PGlite.create(dataDir, { extensions: { pg_trgm } });
      return new PgliteDb(pglite, release);
    } catch (err) {
      release();
      throw err;
    }
  }

  override async close(): Promise<void> {
    try {
      await super.close();
    } finally {
      this.releaseDir();
    }
  }
}
