import type { RequestContext } from '../fhir/context';
import type { Statements } from '../store/db';
import { ACTOR_STATE, SYSTEM_STATE } from './access-hooks';
import { isKnownTo } from './named-documents';

/**
 * Whether the request's caller may be told about a filed document he names by its document id (masterIdentifier).
 * The replay of a submission answers with the filed resources' ids, and "other content / another record" tells what
 * a record holds: only a caller who knows the document — reads it, or may change it (its writer, its author, a
 * feeder's own submission) — is answered so; anyone else gets one 409 whatever the filed document's content and
 * record (issue 11: hidden is absent). The server's own work (`markSystemContext`) knows every document; a
 * composition without the access module (module tests) has no actor and decides nothing here.
 */
export async function callerKnowsDocument(db: Statements, ctx: RequestContext, id: string): Promise<boolean> {
  if (ctx.state.get(SYSTEM_STATE)) return true;
  const actor = ctx.state.get(ACTOR_STATE);
  if (!actor) return !ctx.actor;
  return isKnownTo(db, actor, id);
}
