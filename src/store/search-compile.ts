import { parseReference } from './indexer';
import { joinedIndexRows, ownIndexRows } from './index-rows-source';
import { columnParam } from '../kernel/search/column-params';
import { and, join, name, or, raw, sql, type Sql } from '../kernel/sql';
import { isResourceType, searchParam } from '../kernel/search/registry';
import { normaliseString } from '../kernel/search/normalise';
import type { ParamFilter, Prefix } from '../kernel/search/types';
import { dateRange, parseQuantity, splitPrefix } from '../kernel/search/values';

function escapeLike(value: string): string {
  return value.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/** Date comparison between a stored [low, high] range and a searched [lo, hi] range (FHIR R4 §3.1.1.4.3). */
function dateCompare(low: Sql, high: Sql, prefix: Prefix, lo: string, hi: string): Sql {
  switch (prefix) {
    case 'eq': return sql`${low} >= ${lo}::timestamptz AND ${high} <= ${hi}::timestamptz`;
    case 'ne': return sql`NOT (${low} >= ${lo}::timestamptz AND ${high} <= ${hi}::timestamptz)`;
    case 'gt': return sql`${high} > ${hi}::timestamptz`;
    case 'lt': return sql`${low} < ${lo}::timestamptz`;
    case 'ge': return sql`(${high} > ${hi}::timestamptz OR (${low} >= ${lo}::timestamptz AND ${high} <= ${hi}::timestamptz))`;
    case 'le': return sql`(${low} < ${lo}::timestamptz OR (${low} >= ${lo}::timestamptz AND ${high} <= ${hi}::timestamptz))`;
    case 'sa': return sql`${low} > ${hi}::timestamptz`;
    case 'eb': return sql`${high} < ${lo}::timestamptz`;
    case 'ap': return sql`${low} <= ${hi}::timestamptz AND ${high} >= ${lo}::timestamptz`;
  }
}

/** Number comparison honouring the precision of the searched value (`eq 100` = [99.5, 100.5)). */
function numberCompare(column: Sql, prefix: Prefix, number: number, digits: string): Sql {
  const decimals = digits.includes('.') && !/e/i.test(digits) ? digits.split('.')[1].length : 0;
  const half = 0.5 * 10 ** -decimals;
  const lo = number - half;
  const hi = number + half;
  switch (prefix) {
    case 'eq': return sql`${column} >= ${lo} AND ${column} < ${hi}`;
    case 'ne': return sql`NOT (${column} >= ${lo} AND ${column} < ${hi})`;
    case 'gt': case 'sa': return sql`${column} > ${number}`;
    case 'lt': case 'eb': return sql`${column} < ${number}`;
    case 'ge': return sql`${column} >= ${number}`;
    case 'le': return sql`${column} <= ${number}`;
    case 'ap': return sql`${column} BETWEEN ${number * 0.9} AND ${number * 1.1}`;
  }
}

function tokenMatch(t: Sql, value: string): Sql {
  const bar = value.indexOf('|');
  if (bar < 0) return sql`${t}.code = ${value}`;
  const system = value.slice(0, bar);
  const code = value.slice(bar + 1);
  if (system === '') return sql`${t}.code = ${code} AND ${t}.system IS NULL`;
  if (code === '') return sql`${t}.system = ${system}`;
  return sql`${t}.code = ${code} AND ${t}.system = ${system}`;
}

/**
 * A reference value on the index row alias `x`. When the parameter's rows are already restricted to one target type
 * (`patient` reads `subject` rows of Patient targets: `paramRows`), the type is not tested twice: the planner would
 * count that selectivity twice, and an estimate ten times too low made it plan access-filtered searches worse.
 */
function referenceMatch(x: Sql, filter: ParamFilter, value: string): Sql {
  const typeModifier = filter.modifier && isResourceType(filter.modifier) ? filter.modifier : undefined;
  const parsed = parseReference(value);
  const targets = 'targets' in filter.def ? filter.def.targets : [];
  const targetType = parsed.targetType || typeModifier || (targets.length === 1 ? targets[0] : undefined);
  const id = parsed.targetType ? parsed.targetId : value;
  const restricted = 'sources' in filter.def ? filter.def.sources?.targetType : undefined;
  if (restricted) return targetType && targetType !== restricted ? raw('FALSE') : sql`${x}.target_id = ${id}`;
  if (targetType) return sql`${x}.target_type = ${name(targetType)} AND ${x}.target_id = ${id}`;
  return sql`${x}.target_id = ${value} AND ${x}.target_type <> ''`;
}

/**
 * The index rows of parameter `code` of `resourceType`, on the index row alias `x`: its own, or those of the
 * parameters that answer it (`ParamDef.sources`: `combo-code` reads `code` and `component-code` rows, `patient`
 * the `subject` rows of Patient targets).
 */
export function paramRows(x: Sql, resourceType: string, code: string): Sql {
  const sources = searchParam(resourceType, code)?.sources;
  if (!sources) return sql`${x}.param = ${name(code)}`;
  const params = sources.codes.length === 1 ? sql`${x}.param = ${name(sources.codes[0])}` : sql`${x}.param IN (${join(sources.codes.map(name), ', ')})`;
  return sources.targetType ? sql`${params} AND ${x}.target_type = ${name(sources.targetType)}` : params;
}

const TABLES: Record<string, string> = {
  token: 'idx_token', uri: 'idx_token', string: 'idx_string', date: 'idx_date',
  reference: 'idx_reference', quantity: 'idx_quantity', number: 'idx_quantity',
};

/** The predicate of one value on the index row alias `x`. */
function valueMatch(x: Sql, filter: ParamFilter, value: string): Sql {
  const type = filter.def.type as string;
  switch (type) {
    case 'token': return tokenMatch(x, value);
    case 'uri':
      return filter.modifier === 'below' ? sql`${x}.code LIKE ${escapeLike(value) + '%'}` : sql`${x}.code = ${value}`;
    case 'string':
      if (filter.modifier === 'exact') return sql`${x}.value = ${value}`;
      if (filter.modifier === 'contains') return sql`${x}.norm LIKE ${'%' + escapeLike(normaliseString(value)) + '%'}`;
      return sql`${x}.norm LIKE ${escapeLike(normaliseString(value)) + '%'}`;
    case 'date': {
      const { prefix, rest } = splitPrefix(value);
      const range = dateRange(rest) as { low: string; high: string };
      return dateCompare(sql`${x}.low`, sql`${x}.high`, prefix, range.low, range.high);
    }
    case 'reference': return referenceMatch(x, filter, value);
    default: {
      const q = parseQuantity(value);
      if (!q) return raw('FALSE');
      const parts = [numberCompare(sql`${x}.value`, q.prefix, q.number, q.digits)];
      if (q.system) parts.push(sql`${x}.system = ${q.system}`);
      if (q.code) parts.push(sql`${x}.code = ${q.code}`);
      return and(parts);
    }
  }
}

/**
 * What a filter is compiled under: the caller's access predicate (over `resource r`, as `ctx.access`), applied at
 * every hop of a chain so that a chained target the caller may not see matches nothing (issue 11, attack 4).
 */
export interface FilterScope {
  access: Sql;
  depth?: number;
}

/**
 * The ids of `targetType` rows the caller may see that satisfy the chained filter. The rows are aliased `r`, which
 * rebinds the access predicate (written over `resource r`) to the chained target.
 */
function chainTargets(chain: NonNullable<ParamFilter['chain']>, scope: FilterScope, depth: number): Sql {
  const inner = compileFilter(chain.filter, chain.targetType, 'r', { access: scope.access, depth: depth + 1 });
  return sql`SELECT r.id FROM resource r WHERE r.type = ${name(chain.targetType)} AND NOT r.deleted AND (${scope.access}) AND ${inner}`;
}

/**
 * A reverse chain (`_has:Type:param:…`): the searched row's id is among the targets of `param` of the `Type` rows the
 * caller may see that match the inner filter. Those rows are aliased `r`, which rebinds the access predicate to them,
 * so a resource hidden from the caller (masked, another patient's, outside a constrained scope) cannot be used to
 * bisect a value by reverse chaining onto a row he can see: it counts as absent (issue 11).
 */
function hasFilter(has: NonNullable<ParamFilter['has']>, resourceType: string, r: Sql, scope: FilterScope, depth: number): Sql {
  const inner = compileFilter(has.filter, has.sourceType, 'r', { access: scope.access, depth: depth + 1 });
  const sources = sql`r.type = ${name(has.sourceType)} AND NOT r.deleted AND (${scope.access}) AND ${inner}`;
  if (columnParam(has.sourceType, has.param) === 'compartment') {
    if (resourceType !== 'Patient') return raw('FALSE');
    return sql`${r}.id IN (SELECT r.compartment FROM resource r WHERE ${sources})`;
  }
  const h = raw(`h${depth}`);
  const rows = joinedIndexRows('idx_reference', has.sourceType, raw('r'), h);
  return sql`${r}.id IN (SELECT ${h}.target_id FROM resource r ${rows.join} WHERE ${sources}
    AND ${rows.on} AND ${paramRows(h, has.sourceType, has.param)} AND ${h}.target_type = ${name(resourceType)})`;
}

/** A Patient reference parameter answered by the row's compartment (see `registerColumnParam`). */
function compartmentFilter(filter: ParamFilter, r: Sql, scope: FilterScope, depth: number): Sql {
  const c = sql`${r}.compartment`;
  if (filter.modifier === 'missing') return filter.values[0] === 'true' ? sql`${c} IS NULL` : sql`${c} IS NOT NULL`;
  if (filter.chain) {
    if (filter.chain.targetType !== 'Patient') return raw('FALSE');
    return sql`${c} IN (${chainTargets(filter.chain, scope, depth)})`;
  }
  const ids = filter.values.flatMap((v) => {
    const parsed = parseReference(v);
    if (parsed.targetType) return parsed.targetType === 'Patient' ? [parsed.targetId] : [];
    return filter.modifier && filter.modifier !== 'Patient' ? [] : [v];
  });
  return sql`${c} = ANY(${ids}::text[])`;
}

/** Compiles one filter to a predicate on the resource alias (e.g. `r`); chained targets pass `scope.access`. */
export function compileFilter(filter: ParamFilter, resourceType: string, alias: string, scope: FilterScope): Sql {
  const depth = scope.depth ?? 0;
  const r = raw(alias);
  if (filter.has) return hasFilter(filter.has, resourceType, r, scope, depth);
  const code = filter.def.code;
  if (code === '_id') {
    const ids = filter.values;
    return filter.modifier === 'not' ? sql`NOT (${r}.id = ANY(${ids}::text[]))` : sql`${r}.id = ANY(${ids}::text[])`;
  }
  const column = code === '_lastUpdated' ? 'last_updated' : columnParam(resourceType, code);
  if (column === 'last_updated') {
    if (filter.modifier === 'missing') return raw(filter.values[0] === 'true' ? 'FALSE' : 'TRUE');
    return or(filter.values.map((v) => {
      const { prefix, rest } = splitPrefix(v);
      const range = dateRange(rest) as { low: string; high: string };
      return dateCompare(sql`${r}.last_updated`, sql`${r}.last_updated`, prefix, range.low, range.high);
    }));
  }
  if (column === 'compartment') return compartmentFilter(filter, r, scope, depth);
  const x = raw(`x${depth}`);
  const { from: table, own } = ownIndexRows(TABLES[filter.def.type as string], resourceType, r, x);
  const scopeRows = sql`${own} AND ${paramRows(x, resourceType, code)}`;
  if (filter.chain) {
    return sql`EXISTS (SELECT 1 FROM ${table} WHERE ${scopeRows} AND ${x}.target_type = ${name(filter.chain.targetType)}
      AND ${x}.target_id IN (${chainTargets(filter.chain, scope, depth)}))`;
  }
  if (filter.modifier === 'missing') {
    const exists = sql`EXISTS (SELECT 1 FROM ${table} WHERE ${scopeRows})`;
    return filter.values[0] === 'true' ? sql`NOT ${exists}` : exists;
  }
  const match = or(filter.values.map((v) => valueMatch(x, filter, v)));
  if (filter.modifier === 'not') return sql`NOT EXISTS (SELECT 1 FROM ${table} WHERE ${scopeRows} AND ${match})`;
  return sql`EXISTS (SELECT 1 FROM ${table} WHERE ${scopeRows} AND ${match})`;
}
