import { badRequest } from '../errors';
import { isResourceType, searchParam } from '../search-registry';
import { mayRevInclude } from './include-values';
import { assertValueSyntax } from './values';
import { DEFAULT_COUNT, MAX_COUNT, type IncludeSpec, type ParamFilter, type SearchRequest, type SortRule } from './types';

const RESULT_PARAMS = new Set(['_count', '_sort', '_total', '_summary', '_include', '_revinclude', '_cursor', '_format', '_pretty', '_elements']);
const TOKEN_MODIFIERS = new Set(['not', 'missing', 'text', 'exact', 'below', 'above']);
const MODIFIERS: Record<string, Set<string>> = {
  token: new Set(['not', 'missing']),
  uri: new Set(['missing', 'below', 'above']),
  string: new Set(['exact', 'contains', 'missing']),
  date: new Set(['missing']),
  reference: new Set(['missing']),
  quantity: new Set(['missing']),
  number: new Set(['missing']),
};

/** Nested reverse chains allowed in one parameter (`_has:A:ref:_has:B:ref:param`): each adds a subquery per row. */
export const MAX_HAS_DEPTH = 2;
/** Reverse chains in one search, nested ones included: each is a subquery the statement runs, so their number is bounded. */
export const MAX_HAS_PER_SEARCH = 6;

/**
 * Parameters and comma-separated values one search may hold, all together. A GET is bounded by Node's header size
 * (~2,000 values), but a form-encoded `_search` body is not: 50,000 OR'ed codes held the event loop for minutes, and
 * PostgreSQL binds at most 65,535 parameters in one statement.
 */
export const MAX_SEARCH_VALUES = 1000;

/** The values of a filter, those of its chains and reverse chains included. */
function countValues(filter: ParamFilter): number {
  return filter.values.length + (filter.has ? countValues(filter.has.filter) : 0) + (filter.chain ? countValues(filter.chain.filter) : 0);
}

/** The reverse chains of a filter, its nested ones included. */
function countHas(filter: ParamFilter): number {
  if (filter.has) return 1 + countHas(filter.has.filter);
  return filter.chain ? countHas(filter.chain.filter) : 0;
}

/** What parsing needs beyond the parameters: which types the server offers (a `_has` type must be searchable). */
export interface ParseOptions {
  /** True when `type` is offered for search; absent: every known type. */
  searchable?: (type: string) => boolean;
}

interface FilterContext extends ParseOptions {
  /** Reverse chains already entered. */
  hasDepth: number;
}

/**
 * Parses `_has:<Type>:<referenceParam>:<rest>` on resourceType (FHIR R4 §3.1.1.4.9): rows of Type whose
 * referenceParam points at the searched resource and that match `<rest>=value`, itself any filter of Type (modifiers,
 * chains, one more `_has`). Every malformed part answers 400 naming it, strict or not: ignoring a reverse chain would
 * widen the answer silently.
 */
function parseHas(resourceType: string, name: string, value: string, context: FilterContext): ParamFilter {
  const [, sourceType, param, ...restParts] = name.split(':');
  const rest = restParts.join(':');
  if (!sourceType || !param || !rest) throw badRequest(`"${name}" must be _has:<Type>:<referenceParam>:<searchParam>`);
  if (context.hasDepth >= MAX_HAS_DEPTH) throw badRequest(`"${name}": _has may be nested at most ${MAX_HAS_DEPTH} levels deep`);
  if (!isResourceType(sourceType) || (context.searchable && !context.searchable(sourceType))) {
    throw badRequest(`"${sourceType}" in "${name}" is not a resource type this server searches`);
  }
  const def = searchParam(sourceType, param);
  if (!def) throw badRequest(`Unknown search parameter "${param}" for ${sourceType} (in "${name}")`);
  if (def.type !== 'reference') throw badRequest(`"${param}" is not a reference parameter of ${sourceType} (in "${name}")`);
  if (def.targets.length && !def.targets.includes(resourceType)) throw badRequest(`${sourceType}.${param} cannot point at ${resourceType} (in "${name}")`);
  const inner = parseFilter(sourceType, rest, value, { ...context, hasDepth: context.hasDepth + 1 });
  if (typeof inner === 'string') throw badRequest(`${inner} (in "${name}")`);
  return { kind: 'param', name, def, values: [], has: { sourceType, param, filter: inner } };
}

/** Parses one `name[:modifier][.chain]=value` (or a `_has` reverse chain) into a filter on resourceType. */
function parseFilter(resourceType: string, name: string, value: string, context: FilterContext): ParamFilter | string {
  if (name === '_has' || name.startsWith('_has:')) return parseHas(resourceType, name, value, context);
  const dot = name.indexOf('.');
  const head = dot >= 0 ? name.slice(0, dot) : name;
  const [code, modifier] = head.split(':', 2);
  if (code === '_id') return { kind: 'param', name, def: { code: '_id', type: 'token' }, modifier, values: value.split(',') };
  if (code === '_lastUpdated') {
    // Checked like any date parameter: an empty or malformed value reached the SQL compiler as a 500.
    if (modifier !== undefined && modifier !== 'missing') throw badRequest(`Modifier ":${modifier}" is not supported on date parameter "_lastUpdated"`);
    assertValueSyntax('date', name, value, modifier);
    return { kind: 'param', name, def: { code: '_lastUpdated', type: 'date' }, modifier, values: [value] };
  }
  const def = searchParam(resourceType, code);
  if (!def) return `Unknown search parameter "${code}" for ${resourceType}`;
  if (dot >= 0) {
    if (def.type !== 'reference') throw badRequest(`Parameter "${code}" is not a reference: it cannot be chained ("${name}")`);
    const targetType = modifier ?? (def.targets.length === 1 ? def.targets[0] : undefined);
    if (!targetType) throw badRequest(`Chained parameter "${name}" is ambiguous: name the target type, e.g. ${code}:Patient.${name.slice(dot + 1)}`);
    if (!isResourceType(targetType) || (def.targets.length && !def.targets.includes(targetType))) {
      throw badRequest(`"${targetType}" is not a target of ${resourceType}.${code}`);
    }
    const inner = parseFilter(targetType, name.slice(dot + 1), value, context);
    if (typeof inner === 'string') throw badRequest(`${inner} (in chain "${name}")`);
    return { kind: 'param', name, def, values: [], chain: { targetType, filter: inner } };
  }
  if (modifier !== undefined) {
    const allowed = MODIFIERS[def.type as string];
    const isTypeModifier = def.type === 'reference' && isResourceType(modifier);
    if (!isTypeModifier && !allowed?.has(modifier)) {
      throw badRequest(`Modifier ":${modifier}" is not supported on ${def.type} parameter "${code}"${TOKEN_MODIFIERS.has(modifier) ? ' by this server' : ''}`);
    }
  }
  const values = modifier === 'missing' ? [value] : splitOnComma(value);
  for (const v of values) assertValueSyntax(def.type as string, name, v, modifier);
  return { kind: 'param', name, def, modifier, values };
}

/** Splits on commas not escaped with a backslash, and unescapes `\,` `\|` `\$` `\\`. */
export function splitOnComma(value: string): string[] {
  return value.split(/(?<!\\),/).map((v) => v.replace(/\\([,$|\\])/g, '$1'));
}

function parseCount(raw: string): number {
  if (!/^\d+$/.test(raw)) throw badRequest(`_count must be a non-negative integer, not "${raw}"`);
  return Math.min(Number(raw), MAX_COUNT);
}

function parseSort(resourceType: string, raw: string): SortRule[] {
  return raw.split(',').map((item) => {
    const descending = item.startsWith('-');
    const code = descending ? item.slice(1) : item;
    if (code === '_lastUpdated' || code === '_id') return { code, descending };
    const def = searchParam(resourceType, code);
    if (!def || !['date', 'string', 'token', 'number', 'quantity', 'uri'].includes(def.type as string)) {
      throw badRequest(`Cannot sort ${resourceType} by "${code}"`);
    }
    return { code, def, descending };
  });
}

/** `_include`/`_revinclude` parameters in one search: an iterated one is a branch of every level's statement. */
export const MAX_INCLUDES_PER_SEARCH = 20;

function parseInclude(raw: string, reverse: boolean, resourceType: string, iterate: boolean, options: ParseOptions): IncludeSpec {
  const [sourceType, param, targetType] = raw.split(':');
  if (!sourceType || !param) throw badRequest(`_${reverse ? 'rev' : ''}include must be "Type:param[:TargetType]", not "${raw}"`);
  // An iterated _include follows what earlier levels included, so it may start from any type.
  if (!reverse && !iterate && sourceType !== resourceType) throw badRequest(`_include "${raw}" must start with ${resourceType} (or be _include:iterate)`);
  if (!isResourceType(sourceType)) throw badRequest(`Unknown resource type "${sourceType}" in "${raw}"`);
  if (param !== '*') {
    const def = searchParam(sourceType, param);
    if (!def || def.type !== 'reference') throw badRequest(`"${param}" is not a reference parameter of ${sourceType}`);
  }
  if (targetType && !isResourceType(targetType)) throw badRequest(`Unknown resource type "${targetType}" in "${raw}"`);
  // A first-level _revinclude that could never add anything (a source type not offered for search, a parameter that
  // cannot point at this type) is refused, not answered empty: only what the CapabilityStatement lists is accepted
  // (include-values.ts). Iterated ones start from what earlier levels included, whatever its type.
  if (reverse && !iterate) {
    if (param === '*') throw badRequest(`_revinclude "${raw}": name the reference parameter (${sourceType}:<param>), not *`);
    if (!mayRevInclude(sourceType, param, resourceType, options.searchable) || (targetType && targetType !== resourceType)) {
      throw badRequest(`_revinclude "${raw}" cannot add anything to a ${resourceType} search: see the CapabilityStatement's searchRevInclude for ${resourceType}`);
    }
  }
  return { sourceType, param, targetType, iterate };
}

/**
 * Parses search parameters (as repeated name/value pairs) for resourceType. Bad values → 400. Unknown
 * parameters → 400 when strict, otherwise ignored and reported in `warnings`.
 */
export function parseSearch(resourceType: string, params: [string, string][], strict: boolean, options: ParseOptions = {}): SearchRequest {
  const request: SearchRequest = {
    resourceType, filters: [], sort: [], count: DEFAULT_COUNT, total: 'accurate', summaryCount: false,
    include: [], revinclude: [], warnings: [], canonical: [],
  };
  if (params.length > MAX_SEARCH_VALUES) throw tooManyValues(params.length);
  for (const [rawName, value] of params) {
    const name = rawName.trim();
    if (name === '' ) continue;
    const [base, modifier] = name.split(':', 2);
    if (RESULT_PARAMS.has(base)) {
      switch (base) {
        case '_count': request.count = parseCount(value); break;
        case '_sort': request.sort = parseSort(resourceType, value); break;
        case '_total':
          if (!['none', 'estimate', 'accurate'].includes(value)) throw badRequest(`_total must be none, estimate or accurate, not "${value}"`);
          request.total = value as SearchRequest['total'];
          break;
        case '_summary':
          if (value === 'count') request.summaryCount = true;
          else if (value !== 'false') {
            const message = `_summary=${value} is not supported (only count and false)`;
            if (strict) throw badRequest(message);
            request.warnings.push(message);
            continue;
          }
          break;
        case '_include': case '_revinclude': {
          // :recurse is R3's name of :iterate. Any other modifier would change what is asked: refused, strict or not.
          if (modifier !== undefined && modifier !== 'iterate' && modifier !== 'recurse') {
            throw badRequest(`"${name}": the only modifier of ${base} is :iterate (or its R3 name :recurse)`);
          }
          const spec = parseInclude(value, base === '_revinclude', resourceType, modifier !== undefined, options);
          (base === '_include' ? request.include : request.revinclude).push(spec);
          if (request.include.length + request.revinclude.length > MAX_INCLUDES_PER_SEARCH) {
            throw badRequest(`A search may hold at most ${MAX_INCLUDES_PER_SEARCH} _include/_revinclude parameters`);
          }
          break;
        }
        case '_cursor': request.cursor = value; continue;
        case '_elements': {
          const message = '_elements is not supported: full resources are returned';
          if (strict) throw badRequest(message);
          request.warnings.push(message);
          continue;
        }
        default: continue; // _format, _pretty: handled by the HTTP layer
      }
      request.canonical.push([name, base === '_count' ? String(request.count) : value]);
      continue;
    }
    const filter = parseFilter(resourceType, name, value, { ...options, hasDepth: 0 });
    if (typeof filter === 'string') {
      if (strict) throw badRequest(filter);
      request.warnings.push(`${filter}: ignored`);
      continue;
    }
    request.filters.push(filter);
    request.canonical.push([name, value]);
  }
  const values = request.filters.reduce((n, f) => n + countValues(f), 0);
  if (values > MAX_SEARCH_VALUES) throw tooManyValues(values);
  const reverseChains = request.filters.reduce((n, f) => n + countHas(f), 0);
  if (reverseChains > MAX_HAS_PER_SEARCH) throw badRequest(`A search may hold at most ${MAX_HAS_PER_SEARCH} _has (nested ones included), not ${reverseChains}`);
  return request;
}

function tooManyValues(count: number) {
  return badRequest(`A search may hold at most ${MAX_SEARCH_VALUES} parameters and comma-separated values together, not ${count}`);
}

export type { SortRule };
