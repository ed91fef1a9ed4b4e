import type { BundleLink } from '@medplum/fhirtypes';
import type { StoredResource } from '../../store/repository';
import type { RequestContext } from '../context';
import { buildOutcome } from '../errors';
import type { FhirRequest, FhirResponse } from '../request';
import { prefersStrict } from '../request';
import { searchableIn } from '../search/include-values';
import { parseSearch } from '../search/parse';
import type { SearchRequest } from '../search/types';
import { readEvent, type FhirService } from '../service';
import { bundleJson, resourceUrl, type EntryParts } from '../bundle-json';
import { withBinaryData } from './read';

function pageUrl(req: FhirRequest, request: SearchRequest, cursor?: string): string {
  const params = new URLSearchParams(request.canonical);
  if (!request.canonical.some(([k]) => k === '_count')) params.set('_count', String(request.count));
  if (cursor) params.set('_cursor', cursor);
  return `${req.baseUrl}/${request.resourceType}?${params.toString()}`;
}

async function entryOf(svc: FhirService, ctx: RequestContext, req: FhirRequest, stored: StoredResource, mode: 'match' | 'include'): Promise<EntryParts> {
  let text = stored.text;
  if (stored.resourceType === 'Binary' && text) text = withBinaryData(text, (await svc.repo.readBinaryData(ctx, stored.id, stored.versionId))?.data);
  return { fullUrl: resourceUrl(req.baseUrl, stored), resourceText: text, search: { mode } };
}

/** Runs a parsed search and answers a searchset Bundle with total, paging links and includes. */
export async function searchBundle(svc: FhirService, ctx: RequestContext, req: FhirRequest, request: SearchRequest): Promise<FhirResponse> {
  const result = await svc.repo.search(ctx, request, { maxIncluded: svc.limits.maxIncluded, maxCountedRecords: svc.limits.maxCountedRecords });
  const link: BundleLink[] = [{ relation: 'self', url: pageUrl(req, request, request.cursor) }];
  if (result.next) link.push({ relation: 'next', url: pageUrl(req, request, result.next) });
  if (result.previous) link.push({ relation: 'previous', url: pageUrl(req, request, result.previous) });
  const entries: EntryParts[] = [];
  for (const s of result.matches) entries.push(await entryOf(svc, ctx, req, s, 'match'));
  for (const s of result.included) entries.push(await entryOf(svc, ctx, req, s, 'include'));
  const issues = [
    ...request.warnings.map((w) => ({ severity: 'warning' as const, code: 'not-supported' as const, diagnostics: w })),
    ...(result.warnings ?? []).map((w) => ({ severity: 'warning' as const, code: 'incomplete' as const, diagnostics: w })),
  ];
  if (issues.length) {
    const outcome = buildOutcome(issues);
    entries.push({ resourceText: JSON.stringify(outcome), search: { mode: 'outcome' } });
  }
  const reads = [readEvent('search-type', [...result.matches, ...result.included], { resourceType: request.resourceType, query: new URLSearchParams(request.canonical).toString(), counted: result.counted })];
  return { status: 200, json: bundleJson({ type: 'searchset', total: result.total, link, timestamp: new Date().toISOString() }, entries), reads };
}

/** GET [type]?params and POST [type]/_search. */
export async function searchHandler(svc: FhirService, ctx: RequestContext, req: FhirRequest): Promise<FhirResponse> {
  const [type] = req.segments;
  const request = parseSearch(type, req.query, prefersStrict(req), { searchable: searchableIn(svc.resourceTypes) });
  return searchBundle(svc, ctx, req, request);
}
