import type { Sql } from '../kernel/sql';

export interface QueryResult<T> {
  rows: T[];
  rowCount: number;
}

/**
 * The one database interface the store uses; implemented over a `pg` pool and over PGlite.
 * Inside `transaction`, the callback's `tx` runs every statement on one connection.
 */
export interface Db {
  readonly kind: 'pg' | 'pglite';
  query<T = Record<string, unknown>>(statement: Sql | string, values?: unknown[]): Promise<QueryResult<T>>;
  transaction<T>(fn: (tx: Db) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/**
 * What a helper that only runs statements needs: a connection, a transaction's `tx`, or the system repository
 * (`system/system-repository.ts`), which system services hold instead of a raw connection.
 */
export type Statements = Pick<Db, 'query'>;

/**
 * What a helper that must commit apart from the request needs: transactions of its own, whose `tx` runs statements
 * only (no nested transaction, no `close`). A `Db` and the system repository are one; a request's operation gets one
 * from its wiring (`OwnTransactionsOf`), never the connection under it.
 */
export interface Transactions {
  transaction<T>(fn: (tx: Statements) => Promise<T>): Promise<T>;
}
