import type { RequestContext, WriteEvent } from '../kernel/request-context';
import type { WriteTransaction } from './write-transaction';

/**
 * The interception points the store fires inside a write transaction (HAPI's STORAGE_PRECOMMIT). The request pipeline's
 * `Hooks` (fhir/context.ts) extend them; the store knows only these two, so it depends on nothing above it.
 * A hook gets the write's transaction as a `WriteTransaction` (write-transaction.ts), never a raw `Db`: statements and
 * write-behind work inside that transaction, nothing that could commit it or run outside it.
 */
export interface WriteHooks {
  /** Inside the write transaction, before the row is written: may reject (4xx) the change. */
  beforeWrite?(tx: WriteTransaction, ctx: RequestContext, event: WriteEvent): Promise<void>;
  /** Inside the write transaction, after the row is written: audit rows, outbox rows, derived tables. */
  afterWrite?(tx: WriteTransaction, ctx: RequestContext, event: WriteEvent): Promise<void>;
  /**
   * Inside the write transaction, in place of `afterWrite`, when an update passed every `beforeWrite` check but its
   * content equals the current version's (unchanged-content.ts): nothing was written, and `event.versionId` is the
   * current version. Only what a request owes whatever its outcome (the audit of the access) belongs here; a hook
   * without it does nothing, so no derived row, notice or index is touched by a write that changed nothing.
   */
  afterUnchanged?(tx: WriteTransaction, ctx: RequestContext, event: WriteEvent): Promise<void>;
}
