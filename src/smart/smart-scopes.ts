import { parseScope, scopePermissions } from '../access/scopes';
/**
 * SMART scopes as this authorization server grants them (App Launch 2.x §3, with v1 `read`/`write`/`*`).
 * What is granted = what the app asked ∩ what its registration allows ∩ what the patient approved.
 */
export interface ResourceScope {
  context: 'patient' | 'user' | 'system';
  type: string;
  /** Permission letters in `cruds` order. */
  permissions: string;
  /** v2 finer-grained constraint (`?category=laboratory`), kept verbatim; enforced by access/scope-constraints.ts. */
  query?: string;
}

/** Non-resource scopes this server understands; anything else is dropped from a grant. */
export const IDENTITY_SCOPES = ['openid', 'fhirUser', 'profile', 'launch/patient', 'offline_access', 'online_access'] as const;

const ORDER = 'cruds';
const normalise = (letters: string): string => [...ORDER].filter((l) => letters.includes(l)).join('');

/** Parses a resource scope, v1 or v2; undefined for anything else (identity scopes, typos, `launch`). */
export function parseResourceScope(scope: string): ResourceScope | undefined {
  const m = /^(patient|user|system)\/([A-Z][A-Za-z]*|\*)\.([a-z*]+)(\?[^\s?#]+)?$/.exec(scope);
  if (!m) return undefined;
  const raw = m[3];
  const permissions = scopePermissions(raw);
  if (permissions === undefined) return undefined;
  // A v1 query-less `read` on a constrained scope makes no sense: constraints are v2 only.
  if (m[4] && !/^c?r?u?d?s?$/.test(raw)) return undefined;
  return { context: m[1] as ResourceScope['context'], type: m[2], permissions: normalise(permissions), query: m[4]?.slice(1) };
}

/** True when the allowed scope covers every permission of the requested one (same context, type or `*`, query). */
export function covers(allowed: ResourceScope, requested: ResourceScope): boolean {
  if (allowed.context !== requested.context) return false;
  if (allowed.type !== '*' && allowed.type !== requested.type) return false;
  if (![...requested.permissions].every((l) => allowed.permissions.includes(l))) return false;
  return allowed.query === undefined || allowed.query === requested.query;
}

/** Splits a space-separated scope parameter, without duplicates or empty entries. */
export function splitScopes(scope: string | undefined): string[] {
  return [...new Set((scope ?? '').split(/\s+/).filter(Boolean))];
}

/**
 * The requested scopes granted under `limits` (each a list of allowed scopes, all of which must agree): identity
 * scopes literally, resource scopes when every limit has one covering them. A scope with a `?query` (SMART v2
 * finer-grained) is granted only in the grammar the access decision enforces in the store query (see README,
 * SMART section); a whole-type limit covers it. Requested order is kept so the answer reads like the request.
 */
export function grantScopes(requested: string[], limits: string[][], contexts: ResourceScope['context'][]): string[] {
  const granted: string[] = [];
  for (const scope of requested) {
    if ((IDENTITY_SCOPES as readonly string[]).includes(scope)) {
      if (limits.every((l) => l.includes(scope))) granted.push(scope);
      continue;
    }
    const parsed = parseResourceScope(scope);
    if (!parsed || !contexts.includes(parsed.context)) continue;
    // A constrained scope is granted only when the access decision will enforce its query (one grammar, in
    // access/scope-constraints.ts); any other query would grant nothing there, so it is not granted here either.
    if (parsed.query !== undefined && !parseScope(scope)?.constraint) continue;
    const allowedBy = (limit: string[]) => limit.some((a) => {
      const p = parseResourceScope(a);
      return p !== undefined && covers(p, parsed);
    });
    if (limits.every(allowedBy)) granted.push(scope);
  }
  return granted;
}
