import type { BundleLink } from '@medplum/fhirtypes';
import type { HistoryVersion } from '../../store/history-page';
import { parsePageSize } from '../../store/keyset-paging';
import type { RequestContext } from '../context';
import { badRequest } from '../errors';
import type { FhirRequest, FhirResponse } from '../request';
import { etag } from '../request';
import { readEvent, type FhirService } from '../service';
import { bundleJson, type EntryParts } from '../bundle-json';
import { dateRange } from '../search/values';

function param(req: FhirRequest, name: string): string | undefined {
  return req.query.find(([k]) => k === name)?.[1];
}

function entryOf(req: FhirRequest, h: HistoryVersion): EntryParts {
  const created = h.created;
  const url = `${req.baseUrl}/${h.resourceType}/${h.id}`;
  const method = h.deleted ? 'DELETE' : created ? 'POST' : 'PUT';
  return {
    fullUrl: url,
    resourceText: h.text,
    request: { method, url: method === 'POST' ? h.resourceType : `${h.resourceType}/${h.id}` },
    response: { status: h.deleted ? '204' : created ? '201' : '200', etag: etag(h.versionId), lastModified: h.lastUpdated.toISOString() },
  };
}

/** GET [type]/[id]/_history, [type]/_history, /_history — newest first, keyset-paged through the access predicate. */
export async function historyHandler(svc: FhirService, ctx: RequestContext, req: FhirRequest): Promise<FhirResponse> {
  const type = req.segments.length >= 2 ? req.segments[0] : undefined;
  const id = req.segments.length === 3 ? req.segments[1] : undefined;
  const count = parsePageSize(param(req, '_count'));
  const since = param(req, '_since');
  const sinceRange = since ? dateRange(since) : undefined;
  if (since && !sinceRange) throw badRequest(`Invalid _since "${since}": expected an instant`);
  if (id) {
    const exists = await svc.repo.readRow(ctx, type as string, id);
    if (!exists) await svc.repo.read(ctx, type as string, id); // 404, same as a missing resource
  }
  const { versions, next } = await svc.repo.history(ctx, { type, id, since: sinceRange?.low, count, cursor: param(req, '_cursor') });
  const link: BundleLink[] = [{ relation: 'self', url: `${req.baseUrl}/${req.segments.join('/')}${req.query.length ? `?${new URLSearchParams(req.query)}` : ''}` }];
  if (next) {
    const params = new URLSearchParams(req.query.filter(([k]) => k !== '_cursor'));
    params.set('_count', String(count));
    params.set('_cursor', next);
    link.push({ relation: 'next', url: `${req.baseUrl}/${req.segments.join('/')}?${params}` });
  }
  const interaction = id ? 'history-instance' : type ? 'history-type' : 'history-system';
  const reads = [readEvent(interaction, versions.filter((s) => !s.deleted), { resourceType: type })];
  const entries = versions.map((v) => entryOf(req, v));
  return { status: 200, json: bundleJson({ type: 'history', link, timestamp: new Date().toISOString() }, entries), reads };
}
