import type { Interaction } from '../fhir/context';
import { parseScopeConstraint, type ScopeConstraint } from './scope-constraints';

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
  /** A SMART v2 finer-grained scope's query, when it is in the supported grammar (`scope-constraints.ts`). */
  constraint?: ScopeConstraint;
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
  const permissions = scopePermissions(m[3]);
  if (permissions === undefined) return undefined;
  const parsed: ParsedScope = { context: m[1] as ParsedScope['context'], resourceType: m[2], permissions };
  if (m[4] === undefined) return parsed;
  // A SMART v2 constrained scope (`patient/Observation.rs?category=laboratory`) grants the part of one type its
  // query selects. Only v2 letters, one named type and the supported grammar: anything else grants nothing,
  // never the whole type (closed).
  if (!/^c?r?u?d?s?$/.test(m[3]) || m[2] === '*') return undefined;
  const constraint = parseScopeConstraint(m[2], m[4].slice(1));
  return constraint ? { ...parsed, constraint } : undefined;
}

/**
 * True when some scope grants `permission` on the whole of `resourceType` (any type when undefined, e.g. system
 * search). Constrained scopes do not count: callers that cannot narrow rows (operations checking a Patient
 * write) must not read part of a type as all of it. The access decision uses `scopeGrant`.
 */
export function scopesAllow(scopes: readonly string[], permission: string, resourceType: string | undefined): boolean {
  return scopeGrant(scopes, permission, resourceType) === 'all';
}

/**
 * What the scopes grant for `permission` on `resourceType`: `'all'` (an unconstrained scope of that type or `*`;
 * any type when undefined), the constraints of the constrained scopes of that type (ORed: a row meeting one is
 * granted; of any type when undefined), or undefined for nothing.
 */
export function scopeGrant(scopes: readonly string[], permission: string, resourceType: string | undefined): 'all' | ScopeConstraint[] | undefined {
  const constraints: ScopeConstraint[] = [];
  for (const s of scopes) {
    const p = parseScope(s);
    if (!p || !p.permissions.includes(permission)) continue;
    if (p.resourceType !== '*' && resourceType !== undefined && p.resourceType !== resourceType) continue;
    if (!p.constraint) return 'all';
    // Without a type (system search, the request's first predicate) a constrained scope still grants: its rows
    // are narrowed by the access predicate, type by type.
    constraints.push(p.constraint);
  }
  return constraints.length ? constraints : undefined;
}

/** The widest scopes each kind of actor may hold (what development tokens carry by default). */
export function widestScopes(kind: 'patient' | 'guardian' | 'practitioner' | 'system', category?: string): string[] {
  if (kind === 'patient' || kind === 'guardian') return ['openid', 'fhirUser', 'patient/*.cruds'];
  if (kind === 'practitioner') return ['openid', 'fhirUser', 'user/*.cruds'];
  if (category === 'assurance-maladie') return ['system/*.c'];
  return ['system/*.cruds'];
}

/** What the scopes let the actor read or search: whole types, and types read only where a constraint holds. */
export interface ReadableRows {
  types: string[];
  /** Types no unconstrained scope grants, with the constraints of their scopes (ORed), in scope order. */
  constrained: Record<string, ScopeConstraint[]>;
}

/** The rows the scopes let the actor read or search; undefined when a wildcard scope grants every type. */
export function readableRows(scopes: readonly string[]): ReadableRows | undefined {
  const types = new Set<string>();
  const constrained = new Map<string, ScopeConstraint[]>();
  for (const s of scopes) {
    const p = parseScope(s);
    if (!p || !/[rs]/.test(p.permissions)) continue;
    if (p.resourceType === '*') return undefined;
    if (!p.constraint) types.add(p.resourceType);
    else constrained.set(p.resourceType, [...(constrained.get(p.resourceType) ?? []), p.constraint]);
  }
  // A whole-type scope alongside wins over the constrained ones of that type.
  for (const type of types) constrained.delete(type);
  return { types: [...types], constrained: Object.fromEntries(constrained) };
}
