import type { RequestContext } from '../context';
import { allOk, preconditionFailed } from '../errors';
import type { FhirRequest, FhirResponse } from '../request';
import { etag } from '../request';
import type { FhirService } from '../service';
import { findMatches } from './conditional';

/** DELETE [type]/[id] — writes a tombstone version; deleting a missing resource is not an error. */
export async function deleteHandler(svc: FhirService, ctx: RequestContext, req: FhirRequest): Promise<FhirResponse> {
  const [type, id] = req.segments;
  const tombstone = await svc.repo.delete(ctx, type, id);
  const headers: Record<string, string> = tombstone ? { ETag: etag(tombstone.versionId) } : {};
  return { status: 200, headers, json: JSON.stringify(allOk(tombstone ? `Deleted ${type}/${id}` : `${type}/${id} did not exist or was already deleted`)) };
}

/** DELETE [type]?criteria — conditional delete of a single match (412 when several match). */
export async function conditionalDeleteHandler(svc: FhirService, ctx: RequestContext, req: FhirRequest): Promise<FhirResponse> {
  const [type] = req.segments;
  return svc.repo.transaction(async (repo) => {
    const tx = { ...svc, repo };
    const matches = await findMatches(tx, ctx, type, req.query, false);
    if (matches.length > 1) throw preconditionFailed(`Conditional delete criteria match more than one ${type}`);
    if (!matches.length) return { status: 200, json: JSON.stringify(allOk(`No ${type} matched: nothing deleted`)) };
    return deleteHandler(tx, ctx, { ...req, segments: [type, matches[0].id], query: [] });
  });
}
