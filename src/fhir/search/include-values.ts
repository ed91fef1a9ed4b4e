import { isResourceType, searchParams, searchParam } from '../search-registry';

/**
 * The `_include` and `_revinclude` values a search of a type really answers (FHIR R4 §3.1.1.5), from the search
 * parameter registry the search itself uses. The CapabilityStatement lists them and the parser accepts exactly
 * these (plus `:iterate` forms, which follow what earlier levels included): a value that would never add anything is
 * refused rather than silently ignored, and the statement never advertises one that does not work.
 */

/** `_include` values of `type`: `Type:*` and `Type:<param>` for each of its reference parameters. */
export function includeValues(type: string): string[] {
  return [`${type}:*`, ...[...searchParams(type).values()].filter((p) => p.type === 'reference').map((p) => `${type}:${p.code}`)];
}

/**
 * True when `_revinclude=<sourceType>:<param>` can add something to a search of `type`: the source type is offered
 * for search (`searchable`; absent: every known type), `param` is one of its reference parameters, and that parameter
 * may point at `type` (a parameter that names no target type may point anywhere).
 */
export function mayRevInclude(sourceType: string, param: string, type: string, searchable?: (t: string) => boolean): boolean {
  if (!isResourceType(sourceType) || (searchable && !searchable(sourceType))) return false;
  const def = searchParam(sourceType, param);
  if (!def || def.type !== 'reference') return false;
  return !def.targets.length || def.targets.includes(type);
}

/** `_revinclude` values of `type`: `Source:<param>` for each searchable source type whose reference parameter may point at it. */
export function revIncludeValues(type: string, sourceTypes: Iterable<string>, searchable: (t: string) => boolean): string[] {
  const values: string[] = [];
  for (const source of [...sourceTypes].sort()) {
    for (const p of searchParams(source).values()) {
      if (mayRevInclude(source, p.code, type, searchable)) values.push(`${source}:${p.code}`);
    }
  }
  return values;
}

/** Whether a type is offered for search, from the service's interactions by type: what the parser and the statement share. */
export function searchableIn(resourceTypes: ReadonlyMap<string, readonly string[]>): (type: string) => boolean {
  return (t) => resourceTypes.get(t)?.includes('search-type') ?? false;
}
