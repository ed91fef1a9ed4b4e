import type { Parameters, Resource } from '@medplum/fhirtypes';
import { applyPatch, JsonPatchError, type Operation } from 'fast-json-patch';
import type { RequestContext } from '../context';
import { badRequest, notFound, preconditionFailed, unprocessable } from '../errors';
import type { FhirRequest, FhirResponse } from '../request';
import { parseEtag, prefersMinimal } from '../request';
import { storedResponse, type FhirService } from '../service';
import { applyFhirPathPatch } from '../patch/fhirpath-patch';
import { findMatches, parseStored } from './conditional';

/** Applies a JSON Patch (RFC 6902) or a FHIRPath Patch (Parameters) body to a resource. */
export function applyPatchBody(resource: Resource, body: unknown): Resource {
  if (Array.isArray(body)) {
    try {
      return applyPatch(structuredClone(resource), body as Operation[], true, false).newDocument;
    } catch (err) {
      if (err instanceof JsonPatchError) throw unprocessable(`JSON Patch failed at operation ${err.index ?? '?'}: ${err.message.split('\n')[0]}`);
      throw badRequest(`Invalid JSON Patch: ${(err as Error).message.split('\n')[0]}`);
    }
  }
  if (body && typeof body === 'object' && (body as Resource).resourceType === 'Parameters') return applyFhirPathPatch(resource, body as Parameters);
  throw badRequest('PATCH needs a JSON Patch array (application/json-patch+json) or a FHIRPath Patch Parameters resource');
}

/** PATCH [type]/[id] — If-Match honoured; the patched resource is validated like an update. */
export async function patchHandler(svc: FhirService, ctx: RequestContext, req: FhirRequest): Promise<FhirResponse> {
  const [type, id] = req.segments;
  return svc.repo.transaction(async (repo) => {
    const current = await repo.read(ctx, type, id);
    const expected = req.headers.ifMatch ? parseEtag(req.headers.ifMatch) : undefined;
    if (req.headers.ifMatch && expected === undefined) throw badRequest(`Invalid If-Match "${req.headers.ifMatch}"`);
    if (expected !== undefined && expected !== current.versionId) {
      throw preconditionFailed(`Version conflict: ${type}/${id} is at version ${current.versionId}, not ${expected}`);
    }
    const before = parseStored(current);
    const patched = applyPatchBody(before, req.body);
    if (patched.resourceType !== type || patched.id !== id) throw unprocessable('A patch may not change resourceType or id');
    svc.validate(patched);
    const { stored } = await repo.update(ctx, patched, { ifMatch: current.versionId });
    const response = storedResponse(200, req.baseUrl, stored);
    if (prefersMinimal(req)) delete response.json;
    return response;
  });
}

/** PATCH [type]?criteria — conditional patch of exactly one match. */
export async function conditionalPatchHandler(svc: FhirService, ctx: RequestContext, req: FhirRequest): Promise<FhirResponse> {
  const [type] = req.segments;
  return svc.repo.transaction(async (repo) => {
    const tx = { ...svc, repo };
    const matches = await findMatches(tx, ctx, type, req.query, false);
    if (matches.length > 1) throw preconditionFailed(`Conditional patch criteria match more than one ${type}`);
    if (!matches.length) throw notFound(`No ${type} matches the conditional patch criteria`);
    return patchHandler(tx, ctx, { ...req, segments: [type, matches[0].id], query: [] });
  });
}
