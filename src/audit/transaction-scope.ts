import type { Hooks, RequestContext } from '../fhir/context';
import type { Db } from '../store/db';
import type { ConnectionOf } from '../store/scoped-repository';
import { StateKey } from '../fhir/request-state';

/** Key of the open database transaction in `ctx.state` while a transaction Bundle entry runs. */
const OPEN_TRANSACTION = new StateKey<Db>('audit.openTransaction');

/** The database transaction the current request entry runs in, if any (set by `transactionScopeHook`). */
export function openTransaction(ctx: RequestContext): Db | undefined {
  return ctx.state.get(OPEN_TRANSACTION);
}

/**
 * Tells the server's own connection (outside any transaction) from the connection of a transaction: built by the
 * wiring over the connection it holds, it gives the hook no connection to run anything on.
 */
export type IsServerConnection = (db: Db) => boolean;

/**
 * Notices when a request runs inside a database transaction (each entry of a transaction Bundle is
 * dispatched with a service whose repository is bound to the transaction) and exposes that transaction to
 * the audit hooks for the duration of the entry (`connection`, injected by the wiring, tells which connection it is). A read audited there is written through the same
 * transaction: the group commit opens its own, which on PGlite would wait for the outer one forever (and on
 * PostgreSQL would wait for the chain head locked by the entries already written).
 */
export function transactionScopeHook(isServerConnection: IsServerConnection, connection: ConnectionOf): Hooks {
  return {
    async interceptRequest(svc, ctx, req, next) {
      const db = connection(svc.repo);
      if (isServerConnection(db)) return next(req);
      const outer = ctx.state.get(OPEN_TRANSACTION);
      ctx.state.set(OPEN_TRANSACTION, db);
      try {
        return await next(req);
      } finally {
        if (outer) ctx.state.set(OPEN_TRANSACTION, outer);
        else ctx.state.delete(OPEN_TRANSACTION);
      }
    },
  };
}
