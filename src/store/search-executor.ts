import { compileFilter, paramRows } from '../fhir/search/compile';
import type { IncludeSpec, SearchRequest, SortRule } from '../fhir/search/types';
import { badRequest } from '../fhir/errors';
import { DEFAULT_LIMITS, tooCostly } from '../fhir/limits';
import { searchParam } from '../fhir/search-registry';
import type { RequestContext } from '../fhir/context';
import type { Db } from './db';
import { and, join, name, or, raw, sql, type Sql } from './sql';
import { toStored, type StoredResource } from './repository';
import { columnParam } from '../fhir/search/column-params';

export interface SearchResult {
  matches: StoredResource[];
  included: StoredResource[];
  total?: number;
  /** Opaque cursors for the next and previous pages, when they exist. */
  next?: string;
  previous?: string;
}

interface SortKey { expr: Sql; descending: boolean; cast: string }
interface Cursor { k: string[]; d: 'n' | 'p' }

const ROW_COLUMNS = raw('r.rid, r.type, r.id, r.version_id, r.last_updated, r.compartment, r.deleted, r.text');

function sortKey(type: string, rule: SortRule): SortKey {
  const column = rule.code === '_lastUpdated' ? 'last_updated' : columnParam(type, rule.code);
  if (column === 'last_updated') return { expr: raw('r.last_updated'), descending: rule.descending, cast: 'timestamptz' };
  if (column === 'compartment') return { expr: raw("coalesce(r.compartment, '')"), descending: rule.descending, cast: 'text' };
  if (rule.code === '_id') return { expr: raw('r.id'), descending: rule.descending, cast: 'text' };
  const def = rule.def ?? searchParam(type, rule.code);
  const own = paramRows(raw('s'), type, rule.code);
  switch (def?.type) {
    case 'date': {
      const agg = rule.descending ? raw('max(s.high)') : raw('min(s.low)');
      return { expr: sql`COALESCE((SELECT ${agg} FROM idx_date s WHERE s.rid = r.rid AND ${own}), ${rule.descending ? '-infinity' : 'infinity'}::timestamptz)`, descending: rule.descending, cast: 'timestamptz' };
    }
    case 'string':
      return { expr: sql`COALESCE((SELECT min(s.norm) FROM idx_string s WHERE s.rid = r.rid AND ${own}), '')`, descending: rule.descending, cast: 'text' };
    case 'number': case 'quantity':
      return { expr: sql`COALESCE((SELECT min(s.value) FROM idx_quantity s WHERE s.rid = r.rid AND ${own}), 0)`, descending: rule.descending, cast: 'numeric' };
    default:
      return { expr: sql`COALESCE((SELECT min(s.code) FROM idx_token s WHERE s.rid = r.rid AND ${own}), '')`, descending: rule.descending, cast: 'text' };
  }
}

function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify(cursor)).toString('base64url');
}

function decodeCursor(token: string, keyCount: number): Cursor {
  try {
    const c = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as Cursor;
    if (Array.isArray(c.k) && c.k.length === keyCount && c.k.every((v) => typeof v === 'string') && (c.d === 'n' || c.d === 'p')) return c;
  } catch {
    // fall through
  }
  throw badRequest('Invalid _cursor: use the next/previous links of a search result');
}

/** Rows strictly after (or before) the cursor position in the sort order, as a lexicographic predicate. */
function keysetPredicate(keys: SortKey[], values: string[], after: boolean): Sql {
  const alternatives: Sql[] = [];
  for (let i = 0; i < keys.length; i++) {
    const parts: Sql[] = [];
    for (let j = 0; j < i; j++) parts.push(sql`${keys[j].expr} = ${values[j]}::${raw(keys[j].cast)}`);
    const forward = keys[i].descending ? !after : after;
    parts.push(sql`${keys[i].expr} ${raw(forward ? '>' : '<')} ${values[i]}::${raw(keys[i].cast)}`);
    alternatives.push(and(parts));
  }
  return or(alternatives);
}

function orderBy(keys: SortKey[], reverse: boolean): Sql {
  const terms = keys.map((k) => sql`${k.expr}${raw(k.descending !== reverse ? ' DESC' : ' ASC')}`);
  return sql`ORDER BY ${join(terms, ', ')}`;
}

/** The WHERE clause shared by the page, the count and history: type, not deleted, access, filters. */
export function searchWhere(ctx: RequestContext, request: SearchRequest): Sql {
  return and([
    sql`r.type = ${name(request.resourceType)}`,
    raw('NOT r.deleted'),
    ctx.access,
    ...request.filters.map((f) => compileFilter(f, request.resourceType, 'r', { access: ctx.access })),
  ]);
}

async function count(db: Db, where: Sql): Promise<number> {
  const { rows } = await db.query<{ n: number }>(sql`SELECT count(*)::int AS n FROM resource r WHERE ${where}`);
  return rows[0].n;
}

/** An include whose reference is the source's compartment column (no index rows: `registerColumnParam`). */
const viaCompartment = (s: IncludeSpec): boolean =>
  (!s.targetType || s.targetType === 'Patient') && s.param !== '*' && columnParam(s.sourceType, s.param) === 'compartment';

async function loadIncludes(db: Db, ctx: RequestContext, request: SearchRequest, matches: StoredResource[], maxIncluded: number): Promise<StoredResource[]> {
  if (!matches.length || (!request.include.length && !request.revinclude.length)) return [];
  const rids = matches.map((m) => m.rid);
  const ids = matches.map((m) => m.id);
  const queries: Sql[] = [];
  const spec = (s: IncludeSpec) => and([
    s.param === '*' ? raw('TRUE') : paramRows(raw('x'), s.sourceType, s.param),
    s.targetType ? sql`x.target_type = ${name(s.targetType)}` : raw('TRUE'),
  ]);
  for (const s of request.include) {
    queries.push(sql`(r.type, r.id) IN (SELECT x.target_type, x.target_id FROM idx_reference x WHERE x.rid = ANY(${rids}::bigint[]) AND ${spec(s)})`);
    if (viaCompartment(s)) queries.push(sql`r.type = 'Patient' AND r.id IN (SELECT m.compartment FROM resource m WHERE m.rid = ANY(${rids}::bigint[]))`);
  }
  for (const s of request.revinclude) {
    queries.push(sql`r.type = ${name(s.sourceType)} AND EXISTS (SELECT 1 FROM idx_reference x WHERE x.rid = r.rid AND x.type = ${name(s.sourceType)}
      AND ${spec(s)} AND x.target_type = ${name(request.resourceType)} AND x.target_id = ANY(${ids}::text[]))`);
    if (viaCompartment(s) && request.resourceType === 'Patient') queries.push(sql`r.type = ${s.sourceType} AND r.compartment = ANY(${ids}::text[])`);
  }
  const { rows } = await db.query<Parameters<typeof toStored>[0]>(
    sql`SELECT ${ROW_COLUMNS} FROM resource r WHERE NOT r.deleted AND (${ctx.access}) AND (${or(queries)})
        AND NOT (r.rid = ANY(${rids}::bigint[])) ORDER BY r.type, r.id LIMIT ${maxIncluded + 1}`,
  );
  // Refused rather than cut: a page silently missing some of its includes reads as a complete answer.
  if (rows.length > maxIncluded) {
    throw tooCostly(`_include/_revinclude would add more than ${maxIncluded} resources to this page (MAX_INCLUDED): lower _count or include less`);
  }
  return rows.map(toStored);
}

/**
 * Runs a search: one page by keyset (stable while data is added), its total, and its includes — all
 * through the access predicate, so totals and pages never count what the caller may not see.
 */
export async function executeSearch(db: Db, ctx: RequestContext, request: SearchRequest, options: { maxIncluded?: number } = {}): Promise<SearchResult> {
  const where = searchWhere(ctx, request);
  if (request.summaryCount || request.count === 0) {
    return { matches: [], included: [], total: request.total === 'none' && !request.summaryCount ? undefined : await count(db, where) };
  }
  const rules = request.sort.length ? request.sort : [{ code: '_lastUpdated', descending: false }];
  const keys = [...rules.map((rule) => sortKey(request.resourceType, rule)), { expr: raw('r.id'), descending: false, cast: 'text' }];
  const cursor = request.cursor ? decodeCursor(request.cursor, keys.length) : undefined;
  const backwards = cursor?.d === 'p';
  const keyset = cursor ? keysetPredicate(keys, cursor.k, !backwards) : raw('TRUE');
  const keyColumns = join(keys.map((k, i) => sql`(${k.expr})::text AS ${raw(`k${i}`)}`), ', ');
  const { rows } = await db.query<Parameters<typeof toStored>[0] & Record<string, string>>(
    sql`SELECT ${ROW_COLUMNS}, ${keyColumns} FROM resource r WHERE ${where} AND ${keyset}
        ${orderBy(keys, backwards)} LIMIT ${request.count + 1}`,
  );
  const hasMore = rows.length > request.count;
  const page = rows.slice(0, request.count);
  if (backwards) page.reverse();
  const keyOf = (row: Record<string, string>): string[] => keys.map((_, i) => row[`k${i}`]);
  const result: SearchResult = { matches: page.map(toStored), included: [] };
  if (page.length) {
    const first = keyOf(page[0]);
    const last = keyOf(page[page.length - 1]);
    if (backwards ? true : hasMore) result.next = encodeCursor({ k: last, d: 'n' });
    if (backwards ? hasMore : !!cursor) result.previous = encodeCursor({ k: first, d: 'p' });
  } else if (cursor) {
    // Past either end: offer the way back.
    result.previous = backwards ? undefined : encodeCursor({ k: cursor.k, d: 'p' });
  }
  if (request.total !== 'none') {
    result.total = !cursor && !hasMore ? page.length : await count(db, where);
  }
  result.included = await loadIncludes(db, ctx, request, page.map(toStored), options.maxIncluded ?? DEFAULT_LIMITS.maxIncluded);
  return result;
}
