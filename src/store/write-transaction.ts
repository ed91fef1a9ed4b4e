import type { QueryResult } from './db';
import type { Sql } from '../kernel/sql';
import { settleWith } from './settle';
import type { WriteBehindDb } from './write-behind-db';

// Set by the class's static block (declared first: it runs when the class is defined).
const opened = new WeakMap<WriteBehindDb, WriteTransaction>();
let openOn: (tx: WriteBehindDb) => WriteTransaction;
let connectionUnder: (write: WriteTransaction) => WriteBehindDb;

/**
 * The transaction a write hook runs in (`WriteHooks.beforeWrite` / `afterWrite`), as the hook may use it: statements
 * inside the write's transaction, and the write-behind work a hook owes with the write (a side row queued beside the
 * created rows, work owed once before commit). There is no `transaction`, no `close`, nothing that reaches the
 * server's connection, so a hook cannot commit part of a write or run system work outside it.
 *
 * Nominal, not an alias of `Db`: its private field means only a WriteTransaction is one, so a raw `Db` given where a
 * hook expects a WriteTransaction does not compile, nor does a hook written against `Db` (test/unit/architecture/
 * write-transaction.test.ts). Only the store builds one, from the write-behind connection of its transaction
 * (`writeTransactionOn`, called by repository.ts alone): a hook holds the transaction it was given, never one it made.
 * One per transaction (the same object for every write in it), so what is remembered per transaction — the access
 * facts, the audit events owed — can be keyed on it. Its settlement (commit or rollback) is `settle.ts`'s `onSettled`.
 */
export class WriteTransaction {
  readonly #tx: WriteBehindDb;

  private constructor(tx: WriteBehindDb) {
    this.#tx = tx;
    // Callbacks given for the hook's transaction wait for the end of the transaction underneath.
    settleWith(this, tx);
  }

  /** A statement inside the write's transaction; what the write-behind queue holds is written first (`WriteBehindDb`). */
  query<T = Record<string, unknown>>(statement: Sql | string, values?: unknown[]): Promise<QueryResult<T>> {
    return this.#tx.query<T>(statement, values);
  }

  /**
   * A statement on a table the write-behind queue never writes (e.g. `document_master`), run without writing the queue
   * first (`WriteBehindDb.queryBeside`): it sees nothing the queue holds.
   */
  queryBeside<T = Record<string, unknown>>(statement: Sql | string, values?: unknown[]): Promise<QueryResult<T>> {
    return this.#tx.queryBeside<T>(statement, values);
  }

  /** True while a created row of this resource is queued, not yet written (`WriteBehindDb.queued`). */
  isQueued(type: string, id: string): boolean {
    return this.#tx.queued(type, id) !== undefined;
  }

  /** Queues a side-table row the write owes, written with the queued resources (`WriteBehindDb.queueSide`). */
  queueSide<T>(kind: string, item: T, build: (items: T[]) => Sql): void {
    this.#tx.queueSide(kind, item, build);
  }

  /** Registers work the transaction owes as a whole, run once before it commits (`WriteBehindDb.owe`). */
  owe(key: string, work: () => Promise<void>): void {
    this.#tx.owe(key, work);
  }

  /** True while `key`'s owed work has not run yet. */
  owes(key: string): boolean {
    return this.#tx.owes(key);
  }

  // The only code that builds one or reads the connection under it: the two store functions below.
  static {
    openOn = (tx) => {
      let known = opened.get(tx);
      if (!known) opened.set(tx, (known = new WriteTransaction(tx)));
      return known;
    };
    connectionUnder = (write) => write.#tx;
  }
}

/**
 * The WriteTransaction of a repository transaction's write-behind connection, given to the hooks of its writes. The
 * store's alone: only src/store/repository.ts imports it (test/unit/architecture/write-transaction.test.ts).
 */
export function writeTransactionOn(tx: WriteBehindDb): WriteTransaction {
  return openOn(tx);
}

/**
 * The write-behind connection under a WriteTransaction, for the store to bind a repository to a hook's transaction
 * (`Repository.inWrite`). The store's alone, like `writeTransactionOn`.
 */
export function connectionOfWrite(write: WriteTransaction): WriteBehindDb {
  return connectionUnder(write);
}
