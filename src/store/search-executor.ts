import { compileFilter, paramRows } from './search-compile';
import { ownIndexRows } from './index-rows-source';
import type { SearchRequest, SortRule } from '../kernel/search/types';
import { searchParam } from '../kernel/search/registry';
import type { RequestContext } from '../kernel/request-context';
import { DEFAULT_LIMITS, tooCostly } from '../kernel/limits';
import { loadIncludes } from './search-includes';
import type { Db } from './db';
import { and, name, raw, sql, type Sql } from '../kernel/sql';
import { countRowsByCompartment, readKeysetPage, type SortKey } from './keyset-paging';
import { toStored, type StoredResource } from './stored-row';
import { columnParam } from '../kernel/search/column-params';

/** Bounds of one search (`WorkLimits`): `_include` fan-out and the records a total may count. */
export interface SearchOptions {
  maxIncluded?: number;
  maxCountedRecords?: number;
}

export interface SearchResult {
  matches: StoredResource[];
  included: StoredResource[];
  /** What the includes left out (the `:iterate` bound), for the Bundle's OperationOutcome. */
  warnings?: string[];
  total?: number;
  /**
   * The records whose rows the total counted (null: rows of no record). A total tells of rows the page does not show, so
   * the audit files the search in each of these records' trails too (attack sweep 12b).
   */
  counted?: (string | null)[];
  /** Opaque cursors for the next and previous pages, when they exist. */
  next?: string;
  previous?: string;
}


const ROW_COLUMNS = raw('r.rid, r.type, r.id, r.version_id, r.last_updated, r.compartment, r.deleted, r.text');

function sortKey(type: string, rule: SortRule): SortKey {
  const column = rule.code === '_lastUpdated' ? 'last_updated' : columnParam(type, rule.code);
  if (column === 'last_updated') return { expr: raw('r.last_updated'), descending: rule.descending, cast: 'timestamptz' };
  if (column === 'compartment') return { expr: raw("coalesce(r.compartment, '')"), descending: rule.descending, cast: 'text' };
  if (rule.code === '_id') return { expr: raw('r.id'), descending: rule.descending, cast: 'text' };
  const def = rule.def ?? searchParam(type, rule.code);
  const s = raw('s');
  // The sorted row's index rows of `table` for this parameter (in the row itself for some types: `ownIndexRows`).
  const of = (table: string): Sql => {
    const rows = ownIndexRows(table, type, raw('r'), s);
    return sql`${rows.from} WHERE ${rows.own} AND ${paramRows(s, type, rule.code)}`;
  };
  switch (def?.type) {
    case 'date': {
      const agg = rule.descending ? raw('max(s.high)') : raw('min(s.low)');
      return { expr: sql`COALESCE((SELECT ${agg} FROM ${of('idx_date')}), ${rule.descending ? '-infinity' : 'infinity'}::timestamptz)`, descending: rule.descending, cast: 'timestamptz' };
    }
    case 'string':
      return { expr: sql`COALESCE((SELECT min(s.norm) FROM ${of('idx_string')}), '')`, descending: rule.descending, cast: 'text' };
    case 'number': case 'quantity':
      return { expr: sql`COALESCE((SELECT min(s.value) FROM ${of('idx_quantity')}), 0)`, descending: rule.descending, cast: 'numeric' };
    default:
      return { expr: sql`COALESCE((SELECT min(s.code) FROM ${of('idx_token')}), '')`, descending: rule.descending, cast: 'text' };
  }
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

/**
 * Runs a search: one page by keyset (stable while data is added), its total, and its includes — all
 * through the access predicate, so totals and pages never count what the caller may not see.
 */
export async function executeSearch(db: Db, ctx: RequestContext, request: SearchRequest, options: SearchOptions = {}): Promise<SearchResult> {
  const where = searchWhere(ctx, request);
  const source = raw('resource r');
  const maxRecords = options.maxCountedRecords ?? DEFAULT_LIMITS.maxCountedRecords;
  const tooManyRecords = (compartments: (string | null)[]) => compartments.filter((c) => c !== null).length > maxRecords;
  if (request.summaryCount || request.count === 0) {
    if (request.total === 'none' && !request.summaryCount) return { matches: [], included: [] };
    const { total, compartments } = await countRowsByCompartment(db, source, where);
    if (tooManyRecords(compartments)) throw tooCostly(`This total counts rows of more than ${maxRecords} patient records (MAX_COUNTED_RECORDS), each of which would be filed in that patient's access history: narrow the search (patient=…)`);
    return { matches: [], included: [], total, counted: compartments };
  }
  const rules = request.sort.length ? request.sort : [{ code: '_lastUpdated', descending: false }];
  const keys: SortKey[] = [...rules.map((rule) => sortKey(request.resourceType, rule)), { expr: raw('r.id'), descending: false, cast: 'text' }];
  // The scope ties a cursor to this type and sort: a cursor of another search is refused (400), not misread.
  const scope = { kind: 'search' as const, shape: `${request.resourceType}?_sort=${rules.map((r) => `${r.descending ? '-' : ''}${r.code}`).join(',')}` };
  const page = await readKeysetPage<Parameters<typeof toStored>[0]>(db, {
    columns: ROW_COLUMNS, source, where, keys, count: request.count, cursor: request.cursor, scope, backLinks: true,
  });
  const matches = page.rows.map(toStored);
  const result: SearchResult = { matches, included: [], next: page.next, previous: page.previous };
  if (request.total !== 'none') {
    if (!request.cursor && !page.hasMore) result.total = matches.length;
    else {
      const { total, compartments } = await countRowsByCompartment(db, source, where);
      if (tooManyRecords(compartments)) {
        // FHIR lets a server leave `total` out; the page itself is filed as any page is.
        result.warnings = [...(result.warnings ?? []), `No total: it would count rows of more than ${maxRecords} patient records (MAX_COUNTED_RECORDS), each of which would be filed in that patient's access history`];
      } else {
        result.total = total;
        result.counted = compartments;
      }
    }
  }
  if (request.include.length || request.revinclude.length) {
    const { included, warnings } = await loadIncludes(db, ctx, request, matches, options.maxIncluded ?? DEFAULT_LIMITS.maxIncluded);
    result.included = included;
    if (warnings.length) result.warnings = [...(result.warnings ?? []), ...warnings];
  }
  return result;
}
