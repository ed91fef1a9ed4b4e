import type { IncludeSpec, SearchRequest } from '../kernel/search/types';
import { searchParam } from '../kernel/search/registry';
import { columnParam } from '../kernel/search/column-params';
import type { RequestContext } from '../kernel/request-context';
import { tooCostly } from '../kernel/limits';
import type { Db } from './db';
import { and, name, or, raw, sql, type Sql } from '../kernel/sql';
import { toStored, type StoredResource } from './stored-row';
import { paramRows } from './search-compile';
import { joinedIndexRows, ownIndexRows } from './index-rows-source';

/**
 * Passes of the `:iterate` includes after the first level (FHIR R4 §3.1.1.5.4). Each pass is one statement; past the
 * last one a single `LIMIT 1` statement checks whether anything further is visible, and the Bundle then says so.
 */
export const MAX_INCLUDE_ITERATIONS = 3;

const ROW_COLUMNS = raw('r.rid, r.type, r.id, r.version_id, r.last_updated, r.compartment, r.deleted, r.text');

/** An include whose reference is the source's compartment column (no index rows: `registerColumnParam`). */
const viaCompartment = (s: IncludeSpec): boolean =>
  (!s.targetType || s.targetType === 'Patient') && s.param !== '*' && columnParam(s.sourceType, s.param) === 'compartment';

/** True when `s`'s reference parameter may point at `type` (a `*` or untyped parameter may point anywhere). */
function mayPointAt(s: IncludeSpec, type: string): boolean {
  if (s.targetType) return s.targetType === type;
  const targets = s.param === '*' ? [] : searchParam(s.sourceType, s.param)?.targets ?? [];
  return !targets.length || targets.includes(type);
}

/** The sources of one hop, by type: rids for `_include`, ids for `_revinclude`. */
function byType(sources: StoredResource[]): Map<string, { rids: number[]; ids: string[] }> {
  const groups = new Map<string, { rids: number[]; ids: string[] }>();
  for (const s of sources) {
    const group = groups.get(s.resourceType) ?? { rids: [], ids: [] };
    group.rids.push(s.rid);
    group.ids.push(s.id);
    groups.set(s.resourceType, group);
  }
  return groups;
}

/** What one hop adds from `sources`: one OR branch per spec and source type. None: the hop has nothing to follow. */
function hopQueries(sources: StoredResource[], include: IncludeSpec[], revinclude: IncludeSpec[]): Sql[] {
  const groups = byType(sources);
  const queries: Sql[] = [];
  const spec = (s: IncludeSpec) => and([
    s.param === '*' ? raw('TRUE') : paramRows(raw('x'), s.sourceType, s.param),
    s.targetType ? sql`x.target_type = ${name(s.targetType)}` : raw('TRUE'),
  ]);
  for (const s of include) {
    // An include applies to the sources of its own type only (an iterated one may name any type).
    const of = groups.get(s.sourceType);
    if (!of) continue;
    const rows = joinedIndexRows('idx_reference', s.sourceType, raw('m'), raw('x'));
    queries.push(sql`(r.type, r.id) IN (SELECT x.target_type, x.target_id FROM resource m ${rows.join}
      WHERE m.rid = ANY(${of.rids}::bigint[]) AND ${rows.on} AND ${spec(s)})`);
    if (viaCompartment(s)) queries.push(sql`r.type = 'Patient' AND r.id IN (SELECT m.compartment FROM resource m WHERE m.rid = ANY(${of.rids}::bigint[]))`);
  }
  for (const s of revinclude) {
    for (const [type, of] of groups) {
      if (!mayPointAt(s, type)) continue;
      const rows = ownIndexRows('idx_reference', s.sourceType, raw('r'), raw('x'));
      queries.push(sql`r.type = ${name(s.sourceType)} AND EXISTS (SELECT 1 FROM ${rows.from} WHERE ${rows.own}
        AND ${spec(s)} AND x.target_type = ${name(type)} AND x.target_id = ANY(${of.ids}::text[]))`);
      if (viaCompartment(s) && type === 'Patient') queries.push(sql`r.type = ${s.sourceType} AND r.compartment = ANY(${of.ids}::text[])`);
    }
  }
  return queries;
}

/** Resources of one hop the caller may see, not yet in the answer, in a stable order. */
async function readHop(db: Db, ctx: RequestContext, queries: Sql[], seen: number[], limit: number): Promise<StoredResource[]> {
  const { rows } = await db.query<Parameters<typeof toStored>[0]>(
    sql`SELECT ${ROW_COLUMNS} FROM resource r WHERE NOT r.deleted AND (${ctx.access}) AND (${or(queries)})
        AND NOT (r.rid = ANY(${seen}::bigint[])) ORDER BY r.type, r.id LIMIT ${limit}`,
  );
  return rows.map(toStored);
}

/**
 * The `_include`/`_revinclude` resources of a page (FHIR R4 §3.1.1.5): the first level from the matches, then the
 * `:iterate` specs again from what the previous level added, until a level adds nothing or MAX_INCLUDE_ITERATIONS
 * passes have run (then a warning, only if something further is visible). Every level's statement carries the caller's
 * access predicate, and only what a level returned is followed: a hidden resource is never a stepping stone.
 * More than `maxIncluded` in all → 422 too-costly, refused rather than cut (a cut page reads as a complete answer).
 */
export async function loadIncludes(
  db: Db, ctx: RequestContext, request: SearchRequest, matches: StoredResource[], maxIncluded: number,
): Promise<{ included: StoredResource[]; warnings: string[] }> {
  const included: StoredResource[] = [];
  const warnings: string[] = [];
  const seen = matches.map((m) => m.rid);
  const iterInclude = request.include.filter((s) => s.iterate);
  const iterRevinclude = request.revinclude.filter((s) => s.iterate);
  let frontier = matches;
  for (let level = 0; frontier.length; level++) {
    const queries = level === 0 ? hopQueries(frontier, request.include, request.revinclude) : hopQueries(frontier, iterInclude, iterRevinclude);
    if (!queries.length) break;
    if (level > MAX_INCLUDE_ITERATIONS) {
      // Warn only of what the caller could see: a hidden resource beyond the bound must not show up as a warning.
      if ((await readHop(db, ctx, queries, seen, 1)).length) {
        warnings.push(`_include:iterate/_revinclude:iterate stopped after ${MAX_INCLUDE_ITERATIONS} iterations: resources further away were not included (search again from the last ones included)`);
      }
      break;
    }
    const rows = await readHop(db, ctx, queries, seen, maxIncluded - included.length + 1);
    if (included.length + rows.length > maxIncluded) {
      throw tooCostly(`_include/_revinclude would add more than ${maxIncluded} resources to this page (MAX_INCLUDED): lower _count or include less`);
    }
    included.push(...rows);
    seen.push(...rows.map((r) => r.rid));
    frontier = rows;
  }
  return { included, warnings };
}
