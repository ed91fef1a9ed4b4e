import type { RequestContext, WriteEvent } from './context';
import { StateKey } from './request-state';

/** A store write as the repository reports it (a patch is stored as an update). */
export type StoreWrite = WriteEvent['interaction'];

/** What the pipeline has authorised the running handler to write: a resource type and the store writes allowed on it. */
export interface WriteGrant {
  resourceType: string;
  writes: readonly StoreWrite[];
}

/**
 * The grants of the interaction being dispatched. The dispatcher sets them after the authorize hooks allowed the
 * interaction and clears them when the handler returns; the access module's beforeWrite (fired by the store for every
 * row written) refuses any write of a token actor that no grant covers. A handler or operation that forgot to be
 * authorised therefore writes nothing: it holds no grant, whatever it calls.
 */
export const WRITE_GRANT_STATE = new StateKey<readonly WriteGrant[]>('fhir.writeGrants');

/**
 * The store writes each write interaction of the router may cause: an update may create (update-as-create,
 * conditional update with no match), a patch is stored as an update.
 */
export const ROUTE_WRITES: Readonly<Record<'create' | 'update' | 'patch' | 'delete', readonly StoreWrite[]>> = Object.freeze({
  create: ['create'],
  update: ['create', 'update'],
  patch: ['patch', 'update'],
  delete: ['delete'],
});

/** True when the request's current grants cover this store write. */
export function isWriteGranted(ctx: RequestContext, event: Pick<WriteEvent, 'interaction' | 'resourceType'>): boolean {
  const grants = ctx.state.get(WRITE_GRANT_STATE) ?? [];
  return grants.some((g) => g.resourceType === event.resourceType && g.writes.includes(event.interaction));
}

/** Runs `run` with `grants` as the request's grants, restoring the enclosing ones after (Bundle entries nest). */
export async function withWriteGrants<T>(ctx: RequestContext, grants: readonly WriteGrant[], run: () => Promise<T>): Promise<T> {
  const enclosing = ctx.state.get(WRITE_GRANT_STATE);
  ctx.state.set(WRITE_GRANT_STATE, grants);
  try {
    return await run();
  } finally {
    if (enclosing) ctx.state.set(WRITE_GRANT_STATE, enclosing);
    else ctx.state.delete(WRITE_GRANT_STATE);
  }
}
