import type { BundleLink } from '@medplum/fhirtypes';
import type { HistoryVersion } from '../../store/history-page';
import { parsePageSize } from '../../store/keyset-paging';
import type { RequestContext } from '../context';
import { badRequest } from '../errors';
import type { FhirRequest, FhirResponse } from '../request';
import { etag, prefersStrict } from '../request';
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

/** The history interactions' documentation in the CapabilityStatement (R4 has no element for history parameters). */
export const HISTORY_DOCUMENTATION = 'Parameters: _count and _since. _at, _list and _summary=count are not supported (400); '
  + 'other parameters are ignored, or refused with 400 under Prefer: handling=strict';

/** What a history reads itself: R4 http.html#history names _count, _since, _at and _list; _cursor pages; the rest is HTTP's. */
const HISTORY_PARAMS = new Set(['_count', '_since', '_cursor', '_format', '_pretty']);

/**
 * The parameters a history answers as asked, or 400. R4's history takes `_count`, `_since`, `_at` and `_list`; `_at`
 * and `_list` are not supported, and `_summary` is not a history parameter: ignored, each answered versions that were
 * not asked for (`_summary=count` gave entries instead of a count), so they are refused strict or not, as search
 * refuses what would change the question. `_summary=false` is the default reading. Another parameter (`_summary=true`,
 * `_elements`, a name unknown) is handled as search handles it: 400 under `Prefer: handling=strict`, otherwise
 * ignored — silently, since a history Bundle has no place for the warning search puts in an outcome entry (every
 * history entry carries a request and a response, bdl-3). The CapabilityStatement says so (`HISTORY_DOCUMENTATION`).
 */
function checkHistoryParams(req: FhirRequest): void {
  const strict = prefersStrict(req);
  for (const [rawName, value] of req.query) {
    const name = rawName.trim();
    if (name === '' || HISTORY_PARAMS.has(name)) continue;
    if (name === '_summary' && value === 'false') continue;
    if (name === '_summary' && value === 'count') {
      throw badRequest('_summary=count is not supported on _history (FHIR R4 history takes _count and _since here): for a count of current resources, search with _summary=count');
    }
    if (name === '_at' || name === '_list') throw badRequest(`${name} is not supported on _history: only _count and _since select versions`);
    // As search: _summary=true/text/data and _elements give full resources, more than asked but nothing else.
    if (strict) throw badRequest(name === '_summary' ? `_summary=${value} is not supported on _history (only _summary=false)` : `Unknown parameter "${name}" on _history: only _count and _since are supported`);
  }
}

/** GET [type]/[id]/_history, [type]/_history, /_history — newest first, keyset-paged through the access predicate. */
export async function historyHandler(svc: FhirService, ctx: RequestContext, req: FhirRequest): Promise<FhirResponse> {
  checkHistoryParams(req);
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
