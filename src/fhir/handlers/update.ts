import { randomUUID } from 'node:crypto';
import type { RequestContext } from '../context';
import { badRequest, preconditionFailed } from '../errors';
import type { FhirRequest, FhirResponse } from '../request';
import { parseEtag, prefersMinimal } from '../request';
import { storedResponse, type FhirService } from '../service';
import { resourceUrl } from '../bundle-json';
import { assertValidId } from '../../store/repository';
import { bodyResource } from './body';
import { findMatches } from './conditional';

function ifMatchVersion(req: FhirRequest): number | undefined {
  if (!req.headers.ifMatch) return undefined;
  const version = parseEtag(req.headers.ifMatch);
  if (version === undefined) throw badRequest(`Invalid If-Match "${req.headers.ifMatch}": expected W/"<versionId>"`);
  return version;
}

/**
 * PUT [type]/[id] — update (or create with a client id, where the context allows it: `RequestContext.updateCreate`);
 * If-Match gives optimistic locking (412). `serverAssignedId`: the id was drawn by the server (conditional update).
 */
export async function updateHandler(svc: FhirService, ctx: RequestContext, req: FhirRequest, options: { serverAssignedId?: boolean } = {}): Promise<FhirResponse> {
  const [type, id] = req.segments;
  assertValidId(id);
  const { resource, binaryData } = bodyResource(req, type);
  if (resource.id === undefined && !binaryData) throw badRequest(`The body must carry id "${id}" (FHIR update)`, ['id']);
  if (resource.id !== undefined && resource.id !== id) throw badRequest(`The body id "${resource.id}" does not match the URL id "${id}"`, ['id']);
  const ifMatch = ifMatchVersion(req);
  svc.validate(resource);
  const { stored, created } = await svc.repo.update(ctx, { ...resource, id }, { ifMatch, binaryData, serverAssignedId: options.serverAssignedId });
  const extra: Record<string, string> = created ? { Location: `${resourceUrl(req.baseUrl, stored)}/_history/${stored.versionId}` } : {};
  const response = storedResponse(created ? 201 : 200, req.baseUrl, stored, extra);
  if (prefersMinimal(req)) delete response.json;
  return response;
}

/** PUT [type]?criteria — conditional update: 0 matches creates, 1 updates, more is 412. */
export async function conditionalUpdateHandler(svc: FhirService, ctx: RequestContext, req: FhirRequest): Promise<FhirResponse> {
  const [type] = req.segments;
  return svc.repo.transaction(async (repo) => {
    const tx = { ...svc, repo };
    const matches = await findMatches(tx, ctx, type, req.query, true);
    if (matches.length > 1) throw preconditionFailed(`Conditional update criteria match more than one ${type}`);
    const { resource } = bodyResource(req, type);
    const drawn = !matches[0] && resource.id === undefined;
    const id = matches[0]?.id ?? resource.id ?? randomUUID();
    if (matches[0] && resource.id && resource.id !== matches[0].id) throw badRequest(`The body id "${resource.id}" does not match the resource found (${matches[0].id})`, ['id']);
    return updateHandler(tx, ctx, { ...req, segments: [type, id], body: { ...resource, id } }, { serverAssignedId: drawn });
  });
}
