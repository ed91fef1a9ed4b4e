import type { RequestContext } from '../fhir/context';
import { forbidden } from '../fhir/errors';
import { scopesAllow } from '../access/scopes';

const OWNER_KINDS = ['patient', 'guardian'];

/** Patient compartments the caller owns: a patient's own record, or the records a guardian acts for. */
export function ownedPatientIds(ctx: RequestContext): string[] {
  const actor = ctx.actor;
  if (!actor || !OWNER_KINDS.includes(actor.kind)) return [];
  const ids = (actor as { patientIds?: unknown }).patientIds;
  if (Array.isArray(ids)) return ids.filter((id): id is string => typeof id === 'string');
  return actor.kind === 'patient' ? [actor.id] : [];
}

/**
 * The patients whose trail (or notices) the caller asks for: the `patient` parameter when given (it must be
 * one the caller owns), else every record the caller owns. Professionals and systems get 403: the trail of a
 * record is its patient's. A token whose scopes do not grant searching `resourceType` (whole) gets 403 too.
 */
export function assertTrailOwner(ctx: RequestContext, requested: string | undefined, what: string, resourceType: 'AuditEvent' | 'Communication'): string[] {
  if (!ctx.actor || !OWNER_KINDS.includes(ctx.actor.kind)) throw forbidden(`Only the patient or a legal guardian may read ${what}`);
  // These views are served outside the core's search (from the outbox, from the chain): they meet the token's scopes
  // here. A scope of another type (a lab app's patient/Observation.rs) reads none of them; a constrained scope of the
  // type neither, as a view cannot narrow its rows (attack sweep 5: a lab app read the record's notices).
  const scopes = (ctx.actor as { scopes?: unknown }).scopes;
  if (!Array.isArray(scopes) || !scopesAllow(scopes.filter((s): s is string => typeof s === 'string'), 's', resourceType)) {
    throw forbidden(`The token's scopes do not grant search-type on ${resourceType}`);
  }
  const owned = ownedPatientIds(ctx);
  if (requested === undefined) {
    if (owned.length === 0) throw forbidden(`No record is linked to this account: there is no ${what} to read`);
    return owned;
  }
  const id = requested.replace(/^Patient\//, '');
  if (!owned.includes(id)) throw forbidden(`${what} of another patient's record cannot be read`);
  return [id];
}
