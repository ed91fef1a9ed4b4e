import type { Hooks, RequestContext } from '../fhir/context';
import type { ScopedRepository } from '../store/scoped-repository';
import type { WriteTransaction } from '../store/write-transaction';
import { StateKey } from '../fhir/request-state';

/** Key of the open write transaction in `ctx.state` while a transaction Bundle entry runs. */
const OPEN_TRANSACTION = new StateKey<WriteTransaction>('audit.openTransaction');

/** The write transaction the current request entry runs in, if any (set by `transactionScopeHook`). */
export function openTransaction(ctx: RequestContext): WriteTransaction | undefined {
  return ctx.state.get(OPEN_TRANSACTION);
}

/**
 * The write transaction a request's repository runs in, undefined outside one: injected by the wiring
 * (`writeTransactionOf`, system/system-repository.ts), it gives the hook no connection to run anything on — the same
 * WriteTransaction the write hooks of that transaction are given, so a read's event is owed with theirs.
 */
export type WriteTransactionOf = (repo: ScopedRepository) => WriteTransaction | undefined;

/**
 * Notices when a request runs inside a database transaction (each entry of a transaction Bundle is
 * dispatched with a service whose repository is bound to the transaction) and exposes that transaction to
 * the audit hooks for the duration of the entry (`transactionOf`, injected by the wiring, tells which it is). A read
 * audited there is written through the same transaction: the group commit opens its own, which on PGlite would wait
 * for the outer one forever (and on PostgreSQL would wait for the chain head locked by the entries already written).
 */
export function transactionScopeHook(transactionOf: WriteTransactionOf): Hooks {
  return {
    async interceptRequest(svc, ctx, req, next) {
      const tx = transactionOf(svc.repo);
      if (!tx) return next(req);
      const outer = ctx.state.get(OPEN_TRANSACTION);
      ctx.state.set(OPEN_TRANSACTION, tx);
      try {
        return await next(req);
      } finally {
        if (outer) ctx.state.set(OPEN_TRANSACTION, outer);
        else ctx.state.delete(OPEN_TRANSACTION);
      }
    },
  };
}
