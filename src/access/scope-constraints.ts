import type { Resource } from '@medplum/fhirtypes';
import { searchParam } from '../kernel/search/registry';
import { computeIndexRows } from '../store/indexer';
import { classOf } from './resource-classes';

/**
 * SMART v2 finer-grained scopes (App Launch 2.x §3.1.3: `patient/Observation.rs?category=…|laboratory`), as far
 * as this server can enforce them inside the store query. The supported grammar, everything else refused:
 *
 *     query     = condition *( "&" condition )          conditions are ANDed
 *     condition = param "=" value
 *     param     = a token search parameter of the scope's type (no modifier, no chain, no `_` parameter,
 *                 none answered by another parameter's rows), on a clinical type only
 *     value     = code | system "|" code               both non-empty, percent-decoding applied, no comma
 *
 * A query outside it makes the scope grant nothing — never the whole type (closed by default).
 */
export interface TokenCondition {
  param: string;
  /** Undefined: any system (`code` alone). */
  system?: string;
  code: string;
}

/** One constrained scope: every condition must hold. */
export type ScopeConstraint = readonly TokenCondition[];

const MAX_CONDITIONS = 8;

function decode(text: string): string | undefined {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    return undefined;
  }
}

/** Parses the `?query` of a scope on `resourceType`; undefined when it is outside the supported grammar. */
export function parseScopeConstraint(resourceType: string, query: string): ScopeConstraint | undefined {
  if (classOf(resourceType) !== 'clinical') return undefined;
  const pairs = query.split('&');
  if (!pairs.length || pairs.length > MAX_CONDITIONS) return undefined;
  const conditions: TokenCondition[] = [];
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) return undefined;
    const param = decode(pair.slice(0, eq));
    const value = decode(pair.slice(eq + 1));
    if (!param || !value || !/^[a-z][a-z0-9-]*$/.test(param)) return undefined;
    const def = searchParam(resourceType, param);
    if (!def || def.type !== 'token' || def.sources) return undefined;
    if (value.includes(',') || value.includes('$')) return undefined;
    const bar = value.indexOf('|');
    if (bar < 0) {
      conditions.push({ param, code: value });
      continue;
    }
    const system = value.slice(0, bar);
    const code = value.slice(bar + 1);
    if (!system || !code || code.includes('|')) return undefined;
    conditions.push({ param, system, code });
  }
  return Object.freeze(conditions.map((c) => Object.freeze(c)));
}

/**
 * Does the resource meet the constraint? Computed from the same index rows the store writes and the access
 * predicate reads (`compile-access.ts`), so a write is judged exactly as a later read of it will be.
 */
export function meetsConstraint(resource: Resource, constraint: ScopeConstraint): boolean {
  const tokens = computeIndexRows(resource).tokens;
  return constraint.every((c) =>
    tokens.some((t) => t.param === c.param && t.code === c.code && (c.system === undefined || t.system === c.system)),
  );
}
