import type { BundleLink } from '@medplum/fhirtypes';
import { and, sql, type Sql } from '../../store/sql';
import { toStored, type StoredResource } from '../../store/repository';
import type { RequestContext } from '../context';
import { badRequest } from '../errors';
import type { FhirRequest, FhirResponse } from '../request';
import { etag } from '../request';
import { readEvent, type FhirService } from '../service';
import { bundleJson, type EntryParts } from '../bundle-json';
import { DEFAULT_COUNT, MAX_COUNT } from '../search/types';
import { dateRange } from '../search/values';
import { HISTORY_SOURCE } from '../../store/history-source';

interface HistoryCursor { t: string; ty: string; id: string; v: number }

function param(req: FhirRequest, name: string): string | undefined {
  return req.query.find(([k]) => k === name)?.[1];
}

function parseCursor(raw?: string): HistoryCursor | undefined {
  if (!raw) return undefined;
  try {
    const c = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as HistoryCursor;
    if (typeof c.t === 'string' && typeof c.ty === 'string' && typeof c.id === 'string' && Number.isInteger(c.v)) return c;
  } catch {
    // fall through
  }
  throw badRequest('Invalid _cursor: use the next link of a history result');
}

function entryOf(req: FhirRequest, h: StoredResource, created: boolean): EntryParts {
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
  const countRaw = param(req, '_count');
  if (countRaw !== undefined && !/^\d+$/.test(countRaw)) throw badRequest(`_count must be a non-negative integer, not "${countRaw}"`);
  const count = Math.min(countRaw === undefined ? DEFAULT_COUNT : Number(countRaw), MAX_COUNT);
  const since = param(req, '_since');
  const sinceRange = since ? dateRange(since) : undefined;
  if (since && !sinceRange) throw badRequest(`Invalid _since "${since}": expected an instant`);
  const cursor = parseCursor(param(req, '_cursor'));
  const filters: Sql[] = [ctx.access];
  if (type) filters.push(sql`h.type = ${type}`);
  if (id) filters.push(sql`h.id = ${id}`);
  if (sinceRange) filters.push(sql`h.last_updated >= ${sinceRange.low}::timestamptz`);
  if (cursor) filters.push(sql`(h.last_updated, h.type, h.id, h.version_id) < (${cursor.t}::timestamptz, ${cursor.ty}, ${cursor.id}, ${cursor.v})`);
  if (id) {
    const exists = await svc.repo.readRow(ctx, type as string, id);
    if (!exists) await svc.repo.read(ctx, type as string, id); // 404, same as a missing resource
  }
  const { rows } = await svc.repo.query<Parameters<typeof toStored>[0] & { first: boolean; t: string }>(
    sql`SELECT h.rid, h.type, h.id, h.version_id, h.last_updated, h.compartment, h.deleted, h.text,
               h.version_id = 1 AS first, h.last_updated::text AS t
        FROM ${HISTORY_SOURCE} h JOIN resource r ON r.rid = h.rid
        WHERE ${and(filters)} ORDER BY h.last_updated DESC, h.type DESC, h.id DESC, h.version_id DESC LIMIT ${count + 1}`,
  );
  const page = rows.slice(0, count);
  const stored = page.map(toStored);
  const link: BundleLink[] = [{ relation: 'self', url: `${req.baseUrl}/${req.segments.join('/')}${req.query.length ? `?${new URLSearchParams(req.query)}` : ''}` }];
  if (rows.length > count) {
    const last = page[page.length - 1];
    const next = Buffer.from(JSON.stringify({ t: last.t, ty: last.type, id: last.id, v: last.version_id })).toString('base64url');
    const params = new URLSearchParams(req.query.filter(([k]) => k !== '_cursor'));
    params.set('_count', String(count));
    params.set('_cursor', next);
    link.push({ relation: 'next', url: `${req.baseUrl}/${req.segments.join('/')}?${params}` });
  }
  const interaction = id ? 'history-instance' : type ? 'history-type' : 'history-system';
  const reads = [readEvent(interaction, stored.filter((s) => !s.deleted), { resourceType: type })];
  const entries = stored.map((s, i) => entryOf(req, s, page[i].first));
  return { status: 200, json: bundleJson({ type: 'history', link, timestamp: new Date().toISOString() }, entries), reads };
}
