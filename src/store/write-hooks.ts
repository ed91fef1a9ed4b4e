import type { RequestContext, WriteEvent } from '../kernel/request-context';
import type { Db } from './db';

/**
 * The interception points the store fires inside a write transaction (HAPI's STORAGE_PRECOMMIT). The request pipeline's
 * `Hooks` (fhir/context.ts) extend them; the store knows only these two, so it depends on nothing above it.
 */
export interface WriteHooks {
  /** Inside the write transaction, before the row is written: may reject (4xx) the change. */
  beforeWrite?(tx: Db, ctx: RequestContext, event: WriteEvent): Promise<void>;
  /** Inside the write transaction, after the row is written: audit rows, outbox rows, derived tables. */
  afterWrite?(tx: Db, ctx: RequestContext, event: WriteEvent): Promise<void>;
}
