import type { StoredResource } from '../../store/repository';
import type { RequestContext } from '../context';
import { badRequest } from '../errors';
import type { FhirRequest, FhirResponse } from '../request';
import { etag } from '../request';
import { readEvent, storedResponse, versionHeaders, type FhirService } from '../service';

/** True when the client asked for the FHIR JSON form of a Binary rather than its raw bytes (IHE ITI-68). */
function wantsFhirJson(req: FhirRequest): boolean {
  const accept = req.headers.accept ?? '';
  const format = req.query.find(([k]) => k === '_format')?.[1] ?? '';
  return /fhir\+json|application\/json/.test(accept) || /json/.test(format);
}

function notModified(req: FhirRequest, stored: StoredResource): boolean {
  if (req.headers.ifNoneMatch) return req.headers.ifNoneMatch.split(',').some((t) => t.trim() === etag(stored.versionId) || t.trim() === '*');
  if (req.headers.ifModifiedSince) {
    const since = Date.parse(req.headers.ifModifiedSince);
    return !Number.isNaN(since) && Math.floor(stored.lastUpdated.getTime() / 1000) * 1000 <= since;
  }
  return false;
}

/** Answers a Binary either as raw bytes in its own content type, or as a FHIR Binary with base64 data. */
async function binaryResponse(svc: FhirService, ctx: RequestContext, req: FhirRequest, stored: StoredResource): Promise<FhirResponse> {
  const payload = await svc.repo.readBinaryData(ctx, stored.id, stored.versionId);
  const headers = versionHeaders(req.baseUrl, stored);
  if (!wantsFhirJson(req)) {
    const meta = JSON.parse(stored.text as string) as { contentType?: string };
    return { status: 200, headers, binary: { contentType: payload?.contentType ?? meta.contentType ?? 'application/octet-stream', data: payload?.data ?? Buffer.alloc(0) } };
  }
  return { status: 200, headers, json: withBinaryData(stored.text as string, payload?.data) };
}

/** Splices base64 `data` into stored Binary JSON (the row holds no payload). */
export function withBinaryData(text: string, data?: Buffer): string {
  if (!data) return text;
  return `${text.slice(0, text.lastIndexOf('}'))},"data":"${data.toString('base64')}"}`;
}

/** GET [type]/[id] */
export async function readHandler(svc: FhirService, ctx: RequestContext, req: FhirRequest): Promise<FhirResponse> {
  const [type, id] = req.segments;
  const stored = await svc.repo.read(ctx, type, id);
  const reads = [readEvent('read', [stored], { resourceType: type })];
  if (notModified(req, stored)) return { status: 304, headers: versionHeaders(req.baseUrl, stored), reads };
  if (type === 'Binary') return { ...(await binaryResponse(svc, ctx, req, stored)), reads };
  return Object.assign(storedResponse(200, req.baseUrl, stored), { reads });
}

/** GET [type]/[id]/_history/[vid] */
export async function vreadHandler(svc: FhirService, ctx: RequestContext, req: FhirRequest): Promise<FhirResponse> {
  const [type, id, , vid] = req.segments;
  if (!/^\d{1,9}$/.test(vid)) throw badRequest(`Invalid version id "${vid}"`);
  const stored = await svc.repo.vread(ctx, type, id, Number(vid));
  const reads = [readEvent('vread', [stored], { resourceType: type })];
  if (type === 'Binary') return { ...(await binaryResponse(svc, ctx, req, stored)), reads };
  return Object.assign(storedResponse(200, req.baseUrl, stored), { reads });
}
