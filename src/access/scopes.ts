import type { Interaction } from '../fhir/context';

/** SMART v2 permission letter an interaction needs (`c r u d s`); undefined = checked per entry/operation. */
export function permissionFor(interaction: Interaction): 'c' | 'r' | 'u' | 'd' | 's' | undefined {
  switch (interaction) {
    case 'read':
    case 'vread':
    case 'history-instance':
      return 'r';
    case 'search-type':
    case 'search-system':
    case 'history-type':
    case 'history-system':
      return 's';
    case 'create':
      return 'c';
    case 'update':
    case 'patch':
      return 'u';
    case 'delete':
      return 'd';
    default:
      return undefined;
  }
}

interface ParsedScope {
  context: 'patient' | 'user' | 'system';
  resourceType: string;
  permissions: string;
}

const MAX_PARSED_SCOPES = 1000;
const parsedScopes = new Map<string, ParsedScope | undefined>();

/**
 * Parses one SMART scope (`patient/*.rs`, `user/DocumentReference.cruds`, v1 `system/*.read`); undefined if not
 * a resource scope. Every request decides twice over the same few scopes: each is parsed once.
 */
export function parseScope(scope: string): ParsedScope | undefined {
  if (parsedScopes.has(scope)) return parsedScopes.get(scope);
  const parsed = parseScopeText(scope);
  if (parsedScopes.size < MAX_PARSED_SCOPES) parsedScopes.set(scope, parsed && Object.freeze(parsed));
  return parsed;
}

/**
 * The permission letters of a scope's action: SMART v1 `read`/`write`/`*` as their v2 letters, v2 letters (`cruds`
 * in that order, any subset) as they are; undefined for anything else. Shared with the authorization server.
 */
export function scopePermissions(raw: string): string | undefined {
  if (raw === 'read') return 'rs';
  if (raw === 'write') return 'cud';
  if (raw === '*') return 'cruds';
  return /^c?r?u?d?s?$/.test(raw) ? raw : undefined;
}

function parseScopeText(scope: string): ParsedScope | undefined {
  const m = /^(patient|user|system)\/([A-Za-z]+|\*)\.([a-z*]+)(\?.*)?$/.exec(scope);
  if (!m) return undefined;
  // A SMART v2 constrained scope (`patient/Observation.rs?category=laboratory`) grants part of a type; the decision
  // cannot narrow a type by a search parameter yet, so it grants nothing rather than the whole type (closed).
  if (m[4]) return undefined;
  const permissions = scopePermissions(m[3]);
  if (permissions === undefined) return undefined;
  return { context: m[1] as ParsedScope['context'], resourceType: m[2], permissions };
}

/** True when some scope grants `permission` on `resourceType` (any type when undefined, e.g. system search). */
export function scopesAllow(scopes: readonly string[], permission: string, resourceType: string | undefined): boolean {
  return scopes.some((s) => {
    const p = parseScope(s);
    if (!p || !p.permissions.includes(permission)) return false;
    return p.resourceType === '*' || resourceType === undefined || p.resourceType === resourceType;
  });
}

/** The widest scopes each kind of actor may hold (what development tokens carry by default). */
export function widestScopes(kind: 'patient' | 'guardian' | 'practitioner' | 'system', category?: string): string[] {
  if (kind === 'patient' || kind === 'guardian') return ['openid', 'fhirUser', 'patient/*.cruds'];
  if (kind === 'practitioner') return ['openid', 'fhirUser', 'user/*.cruds'];
  if (category === 'assurance-maladie') return ['system/*.c'];
  return ['system/*.cruds'];
}

/** Resource types the scopes let the actor read or search; undefined when a wildcard scope grants every type. */
export function readableTypes(scopes: readonly string[]): string[] | undefined {
  const types = new Set<string>();
  for (const s of scopes) {
    const p = parseScope(s);
    if (!p || !/[rs]/.test(p.permissions)) continue;
    if (p.resourceType === '*') return undefined;
    types.add(p.resourceType);
  }
  return [...types];
}
