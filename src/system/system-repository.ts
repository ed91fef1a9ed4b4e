import type { Sql } from '../kernel/sql';
import type { Db, QueryResult, Statements, Transactions } from '../store/db';
import { connectionUnder, Repository } from '../store/repository';
import type { ScopedRepository } from '../store/scoped-repository';
import type { CoreLogger } from '../kernel/core-logger';
import type { WriteHooks } from '../store/write-hooks';
import type { WriteTransaction } from '../store/write-transaction';

// The unscoped side of the store, named so that it is never used by accident. Request handlers hold a
// `ScopedRepository` (every read under the request's access predicate); what is not a request's read — migrations,
// the importer's look-ups, the notifier, purge, audit-chain verification, a server write joined to a request's
// transaction — goes through here. Only the modules listed in test/unit/architecture/system-repository.test.ts may
// import this file (the composition root and wirings, CLIs, jobs, and named system services); an operation that needs
// one piece of system work gets that piece injected as a narrow capability, never this module.

/** The unscoped repository: raw statements and transactions on the server's connection. */
export class SystemRepository {
  constructor(
    private readonly db: Db,
    private readonly hooks: WriteHooks[] = [],
    private readonly logger?: CoreLogger,
  ) {}

  /** The access-scoped repository over the same connection and hooks: what the composition root hands to handlers. */
  scoped(): ScopedRepository {
    return new Repository(this.db, this.hooks, this.logger);
  }

  /** Runs a statement with no access predicate. */
  query<T = Record<string, unknown>>(statement: Sql | string, values?: unknown[]): Promise<QueryResult<T>> {
    return this.db.query<T>(statement, values);
  }

  /**
   * Runs fn in one transaction on the server's connection. `tx` runs statements only: system work never gets the
   * connection itself (its `transaction`, `close`), so nothing it calls can commit early or open another.
   */
  transaction<T>(fn: (tx: Statements) => Promise<T>): Promise<T> {
    return this.db.transaction((tx) => fn(statementsOn(tx)));
  }
}

/** Statements on `db`, as an object of their own: a handle no cast turns back into the connection (no `transaction`, `close`). */
function statementsOn(db: Db): Statements {
  return { query: <T = Record<string, unknown>>(statement: Sql | string, values?: unknown[]) => db.query<T>(statement, values) };
}

/**
 * Statements on the connection under a request's repository — its transaction while inside one — for system work that
 * must commit or roll back with the request (an account code, a notice row, the intake ledger, the audit chain read).
 * Statements only: the connection itself (its `transaction`, `close`) never reaches an operation.
 */
export function statementsOf(repo: ScopedRepository): Statements {
  if (!(repo instanceof Repository)) throw new Error('statementsOf: not a repository built by the store');
  return statementsOn(connectionUnder(repo));
}

/**
 * Transactions of their own on the connection under a request's repository (joining the request's transaction when
 * inside one, as a nested transaction on the connection does), whose `tx` runs statements only: for a reservation
 * committed before the work it guards (`Patient/$open-minor-record`'s attempt counter).
 */
export function ownTransactionsOf(repo: ScopedRepository): Transactions {
  if (!(repo instanceof Repository)) throw new Error('ownTransactionsOf: not a repository built by the store');
  const db = connectionUnder(repo);
  return { transaction: (fn) => db.transaction((tx) => fn(statementsOn(tx))) };
}

/**
 * The same repository (its hooks included) bound to the transaction a write hook was given: for a hook whose write
 * entails the server's own writes in that transaction (a replacement superseding the document it replaces). Only the
 * hooks listed in test/unit/architecture/write-transaction.test.ts may call it.
 */
export function repositoryInWrite(repo: ScopedRepository, tx: WriteTransaction): ScopedRepository {
  if (!(repo instanceof Repository)) throw new Error('repositoryInWrite: not a repository built by the store');
  return repo.inWrite(tx);
}

/** A repository with no hooks on the transaction a write hook was given (a hook running before the service exists). */
export function bareRepositoryInWrite(tx: WriteTransaction): ScopedRepository {
  return Repository.bareInWrite(tx);
}

/**
 * The write transaction a request's repository runs in (a transaction Bundle's entries), else undefined: what the audit
 * of a read inside that transaction is stored through, at its commit with the writes' events.
 */
export function writeTransactionOf(repo: ScopedRepository): WriteTransaction | undefined {
  if (!(repo instanceof Repository)) throw new Error('writeTransactionOf: not a repository built by the store');
  return repo.writeTransaction();
}
