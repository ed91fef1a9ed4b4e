import type { BundleLink } from '@medplum/fhirtypes';
import { bundleJson, resourceUrl, type EntryParts } from '../fhir/bundle-json';
import { badRequest } from '../fhir/errors';
import { withBinaryData } from '../fhir/handlers/read';
import type { FhirRequest, FhirResponse } from '../fhir/request';
import { DEFAULT_COUNT } from '../fhir/search/types';
import { dateRange } from '../fhir/search/values';
import { readEvent, type FhirService, type OperationDefinitionEntry } from '../fhir/service';
import { toStored, type StoredResource } from '../store/repository';
import { and, raw, sql, type Sql } from '../store/sql';

interface EverythingCursor { ty: string; id: string }

const ROW_COLUMNS = raw('r.rid, r.type, r.id, r.version_id, r.last_updated, r.compartment, r.deleted, r.text');

function param(req: FhirRequest, name: string): string | undefined {
  return req.query.find(([k]) => k === name)?.[1];
}

function parseCursor(raw?: string): EverythingCursor | undefined {
  if (!raw) return undefined;
  try {
    const c = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8')) as EverythingCursor;
    if (typeof c.ty === 'string' && typeof c.id === 'string') return c;
  } catch {
    // fall through
  }
  throw badRequest('Invalid _cursor: use the next link of a $everything result');
}

/** `_count`, lowered to EVERYTHING_MAX_COUNT: each entry may carry a document's bytes (a Binary). */
function parseCount(req: FhirRequest, max: number): number {
  const raw = param(req, '_count');
  if (raw !== undefined && !/^\d+$/.test(raw)) throw badRequest(`_count must be a non-negative integer, not "${raw}"`);
  return Math.max(1, Math.min(raw === undefined ? DEFAULT_COUNT : Number(raw), max));
}

/** The filters of the request (`_type`, `_since`) on the compartment, access predicate included. */
function everythingWhere(patientId: string, access: Sql, req: FhirRequest): Sql {
  const filters: Sql[] = [sql`r.compartment = ${patientId}`, raw('NOT r.deleted'), access];
  const types = param(req, '_type');
  if (types) filters.push(sql`r.type = ANY(${types.split(',').map((t) => t.trim()).filter(Boolean)}::text[])`);
  const since = param(req, '_since');
  if (since) {
    const range = dateRange(since);
    if (!range) throw badRequest(`Invalid _since "${since}": expected an instant`);
    filters.push(sql`r.last_updated >= ${range.low}::timestamptz`);
  }
  return and(filters);
}

function pageLink(req: FhirRequest, patientId: string, count: number, cursor?: string): string {
  const params = new URLSearchParams(req.query.filter(([k]) => k !== '_cursor' && k !== '_count'));
  params.set('_count', String(count));
  if (cursor) params.set('_cursor', cursor);
  return `${req.baseUrl}/Patient/${encodeURIComponent(patientId)}/$everything?${params}`;
}

/**
 * `Patient/{id}/$everything` (FHIR R4 Patient-everything): every resource of the patient's compartment the
 * caller may see, as a searchset paged by (type, id) keyset, with `total`. The access predicate is in the
 * same query as the page and the count, so masked documents, their Binaries and extracted resources never
 * appear nor count. Supports `_count`, `_type`, `_since` and the `_cursor` of the next link.
 */
export async function everythingHandler(svc: FhirService, ctx: Parameters<OperationDefinitionEntry['handler']>[1], req: FhirRequest, target: { id?: string }): Promise<FhirResponse> {
  const patientId = target.id as string;
  // 404 exactly like a read when the Patient is missing or hidden from the caller.
  await svc.repo.read(ctx, 'Patient', patientId);
  const count = parseCount(req, svc.limits.maxEverythingCount);
  const cursor = parseCursor(param(req, '_cursor'));
  const where = everythingWhere(patientId, ctx.access, req);
  const after = cursor ? sql`(r.type, r.id) > (${cursor.ty}::text, ${cursor.id}::text)` : raw('TRUE');
  const { rows } = await svc.repo.query<Parameters<typeof toStored>[0]>(
    sql`SELECT ${ROW_COLUMNS} FROM resource r WHERE ${where} AND ${after} ORDER BY r.type, r.id LIMIT ${count + 1}`,
  );
  const page = rows.slice(0, count).map(toStored);
  const total = !cursor && rows.length <= count
    ? page.length
    : (await svc.repo.query<{ n: number }>(sql`SELECT count(*)::int AS n FROM resource r WHERE ${where}`)).rows[0].n;
  const link: BundleLink[] = [{ relation: 'self', url: pageLink(req, patientId, count, param(req, '_cursor')) }];
  if (rows.length > count) {
    const last = page[page.length - 1];
    link.push({ relation: 'next', url: pageLink(req, patientId, count, Buffer.from(JSON.stringify({ ty: last.resourceType, id: last.id })).toString('base64url')) });
  }
  const entries: EntryParts[] = [];
  for (const s of page) entries.push(await entryOf(svc, req, s));
  const reads = [readEvent('operation', page, { resourceType: 'Patient', operation: '$everything' })];
  return { status: 200, json: bundleJson({ type: 'searchset', total, link, timestamp: new Date().toISOString() }, entries), reads };
}

async function entryOf(svc: FhirService, req: FhirRequest, stored: StoredResource): Promise<EntryParts> {
  let text = stored.text;
  if (stored.resourceType === 'Binary' && text) text = withBinaryData(text, (await svc.repo.readBinaryData(stored.id, stored.versionId))?.data);
  return { fullUrl: resourceUrl(req.baseUrl, stored), resourceText: text, search: { mode: 'match' } };
}

/** The `$everything` operation entry for the wiring. */
export const everythingOperation: OperationDefinitionEntry = {
  name: '$everything',
  level: 'instance',
  resourceType: 'Patient',
  methods: ['GET', 'POST'],
  handler: (svc, ctx, req, target) => everythingHandler(svc, ctx, req, target),
  documentation: 'Every resource of the patient compartment the caller may see (consent-filtered), paged; _count, _type, _since',
};
