import type { Hooks, RequestContext } from '../fhir/context';
import type { Db } from '../store/db';

/** Key of the open database transaction in `ctx.attributes` while a transaction Bundle entry runs. */
const OPEN_TRANSACTION = 'audit.openTransaction';

/** The database transaction the current request entry runs in, if any (set by `transactionScopeHook`). */
export function openTransaction(ctx: RequestContext): Db | undefined {
  return ctx.attributes[OPEN_TRANSACTION] as Db | undefined;
}

/**
 * Notices when a request runs inside a database transaction (each entry of a transaction Bundle is
 * dispatched with a service whose repository is bound to the transaction) and exposes that transaction to
 * the audit hooks for the duration of the entry. A read audited there is written through the same
 * transaction: the group commit opens its own, which on PGlite would wait for the outer one forever (and on
 * PostgreSQL would wait for the chain head locked by the entries already written).
 */
export function transactionScopeHook(rootDb: Db): Hooks {
  return {
    async interceptRequest(svc, ctx, req, next) {
      const db = svc.repo.db;
      if (db === rootDb) return next(req);
      const outer = ctx.attributes[OPEN_TRANSACTION];
      ctx.attributes[OPEN_TRANSACTION] = db;
      try {
        return await next(req);
      } finally {
        ctx.attributes[OPEN_TRANSACTION] = outer;
      }
    },
  };
}
