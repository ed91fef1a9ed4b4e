import type { Resource } from '@medplum/fhirtypes';
import {
  convertToSearchableDates,
  convertToSearchableQuantities,
  convertToSearchableReferences,
  convertToSearchableTokens,
  convertToSearchableUris,
  evalFhirPathTyped,
  toTypedValue,
  type TypedValue,
} from '@medplum/core';
import { searchParams, type ParamDef } from '../kernel/search/registry';
import { normaliseString } from '../kernel/search/normalise';

export interface TokenRow { param: string; system: string | null; code: string | null; text: string | null }
export interface StringRow { param: string; value: string; norm: string }
export interface DateRow { param: string; low: string; high: string }
export interface ReferenceRow { param: string; targetType: string; targetId: string }
export interface QuantityRow { param: string; value: number; system: string | null; code: string | null }

/** Every index row of one resource, computed from the SearchParameter FHIRPath expressions. */
export interface IndexRows {
  tokens: TokenRow[];
  strings: StringRow[];
  dates: DateRow[];
  references: ReferenceRow[];
  quantities: QuantityRow[];
  /** Parameters whose expression threw on this resource (they got no rows); the repository logs them. */
  failures?: { param: string; error: string }[];
}

const MIN_DATE = '-infinity';
const MAX_DATE = 'infinity';

/** Splits `Type/id` (relative, or the tail of an absolute URL) into its parts; other strings keep their text. */
export function parseReference(reference: string): { targetType: string; targetId: string } {
  const m = /(?:^|\/)([A-Z][A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})(?:\/_history\/[^/]+)?$/.exec(reference);
  return m ? { targetType: m[1], targetId: m[2] } : { targetType: '', targetId: reference };
}

/** Strings of a value for string search: each part of a HumanName/Address and the whole. */
function stringsOf(value: TypedValue): string[] {
  const v = value.value as unknown;
  if (typeof v === 'string') return [v];
  if (!v || typeof v !== 'object') return [];
  const o = v as Record<string, unknown>;
  const parts: string[] = [];
  for (const key of ['text', 'family', 'given', 'prefix', 'suffix', 'line', 'city', 'district', 'state', 'postalCode', 'country']) {
    const field = o[key];
    if (typeof field === 'string') parts.push(field);
    else if (Array.isArray(field)) parts.push(...field.filter((x): x is string => typeof x === 'string'));
  }
  return parts;
}

function indexParam(def: ParamDef, values: TypedValue[], rows: IndexRows): void {
  const param = def.code;
  switch (def.type) {
    case 'token':
      for (const t of convertToSearchableTokens(values)) {
        rows.tokens.push({ param, system: t.system ?? null, code: t.value ?? null, text: null });
      }
      break;
    case 'uri':
      for (const u of convertToSearchableUris(values)) rows.tokens.push({ param, system: null, code: u, text: null });
      break;
    case 'string':
      for (const value of values) {
        for (const s of stringsOf(value)) if (s.trim()) rows.strings.push({ param, value: s, norm: normaliseString(s) });
      }
      break;
    case 'date':
      for (const p of convertToSearchableDates(values)) {
        if (!p.start && !p.end) continue;
        rows.dates.push({ param, low: p.start ?? MIN_DATE, high: p.end ?? MAX_DATE });
      }
      break;
    case 'reference':
      for (const ref of convertToSearchableReferences(values)) {
        if (!ref || ref.startsWith('#')) continue;
        rows.references.push({ param, ...parseReference(ref) });
      }
      break;
    case 'quantity':
      for (const q of convertToSearchableQuantities(values)) {
        if (typeof q.value === 'number') rows.quantities.push({ param, value: q.value, system: q.system ?? null, code: q.code ?? q.unit ?? null });
      }
      break;
    case 'number':
      for (const value of values) {
        if (typeof value.value === 'number') rows.quantities.push({ param, value: value.value, system: null, code: null });
      }
      break;
  }
}

/** Does the resource hold element `root` (`value` is held by `valueQuantity`; `_status` holds `status`'s extensions)? */
function holds(keys: string[], root: string): boolean {
  for (const key of keys) {
    const name = key.charCodeAt(0) === 95 ? key.slice(1) : key; // '_'
    if (name === root) return true;
    if (name.length > root.length && name.startsWith(root)) {
      const next = name.charCodeAt(root.length);
      if (next >= 65 && next <= 90) return true; // choice type: value[x]
    }
  }
  return false;
}

/**
 * Computes the index rows of a resource for every search parameter of its type. A parameter whose expression
 * starts only from elements the resource does not hold is not evaluated: an Observation has some forty
 * parameters and uses a handful. Parameters answered by others' rows (`ParamDef.sources`) get none. Expressions run
 * compiled (`ParamDef.evaluate`); `reference` runs the FHIRPath interpreter on every parameter instead, which is
 * what the shortcuts must equal.
 */
export function computeIndexRows(resource: Resource, options: { reference?: boolean } = {}): IndexRows {
  const rows: IndexRows = { tokens: [], strings: [], dates: [], references: [], quantities: [] };
  const input = [toTypedValue(resource)];
  const keys = Object.keys(resource);
  for (const def of searchParams(resource.resourceType).values()) {
    if (def.code === '_id' || def.code === '_lastUpdated' || (def.sources && !options.reference)) continue;
    if (def.roots && !options.reference && !def.roots.some((root) => holds(keys, root))) continue;
    let values: TypedValue[];
    try {
      values = options.reference ? evalFhirPathTyped(def.details.parsedExpression, input) : def.evaluate(input);
    } catch (err) {
      // An expression this resource cannot satisfy yields no index values; it is reported, since a search on that
      // parameter will then miss the resource.
      (rows.failures ??= []).push({ param: `${resource.resourceType}.${def.code}`, error: (err as Error)?.message?.slice(0, 200) ?? String(err) });
      continue;
    }
    if (values.length) indexParam(def, values, rows);
  }
  return rows;
}
