import type { Interaction } from '../fhir/context';
import { isAssuranceMaladie, isExcluded, type DmpActor } from './actor';
import { INVISIBLE_TO_GUARDIANS, INVISIBLE_TO_PATIENT, type AccessPlan, type AllowPlan, type ProfessionalMode } from './access-plan';
import { purposeReasonProblem } from './purpose-reason';
import { classOf } from './resource-classes';
import { permissionFor, readableRows, scopeGrant } from './scopes';

const READS: Interaction[] = ['read', 'vread', 'search-type', 'search-system', 'history-instance', 'history-type', 'history-system'];
const WRITES: Interaction[] = ['create', 'update', 'patch', 'delete'];
/** Interactions that show versions other than the current one. */
const VERSIONS: Interaction[] = ['vread', 'history-instance', 'history-type', 'history-system'];
/** Types that only the server itself writes (audit trail). */
const SERVER_WRITTEN_TYPES = ['AuditEvent'];
/**
 * Types the Assurance Maladie may never create. It may create a Patient (a record opened at its counters) and the
 * opening Consent of a record never opened (the patient's agreement given at the counter): write-rules.ts decides.
 */
const NOT_FED_TYPES = ['RelatedPerson', 'AuditEvent', 'Communication'];

const deny = (status: 400 | 403, reason: string): AccessPlan => ({ effect: 'deny', status, reason });

/** Break-glass when the purpose of use says so; SAMU regulation for the regulator role; ordinary care otherwise. */
export function professionalMode(actor: DmpActor): ProfessionalMode {
  if (actor.purposeOfUse === 'BTG') return 'btg';
  if (actor.role === 'samu-regulator') return 'samu';
  return 'treat';
}

function decideForSystem(actor: DmpActor, interaction: Interaction, resourceType: string | undefined, base: AllowPlan): AccessPlan {
  const isRead = READS.includes(interaction);
  if (isAssuranceMaladie(actor)) {
    if (isRead) return deny(403, 'The Assurance Maladie feeds the care history and can never read a record');
    if (interaction !== 'create' && WRITES.includes(interaction)) return deny(403, 'The Assurance Maladie may only create care-history documents');
    if (resourceType && NOT_FED_TYPES.includes(resourceType)) return deny(403, `The Assurance Maladie may not write ${resourceType}`);
    return Object.assign({}, base, { feed: { requireOpen: false } });
  }
  if (resourceType && ['Consent', 'RelatedPerson', 'Communication', ...SERVER_WRITTEN_TYPES].includes(resourceType) && !isRead) {
    return deny(403, `A feeding system may not write ${resourceType}`);
  }
  if (interaction === 'delete') return deny(403, 'A feeding system may not delete');
  // Feeders cannot read: no Patient rows (identities, contacts) in what they search or read. They find the patient of
  // a submission inside the write only (`compilePatientLookup`).
  return Object.assign({}, base, { directory: true, feed: { requireOpen: true } });
}

/**
 * The access decision (pure, no I/O): what `actor` may do for `interaction` on `resourceType`. Consent state is
 * not an input: the plan names the grants, and the SQL compiler evaluates them against the consent tables
 * inside the same query, so totals and paging never see a hidden row.
 */
export function decideAccess(actor: DmpActor, interaction: Interaction, resourceType: string | undefined, options: { now: Date }): AccessPlan {
  if (isExcluded(actor)) return deny(403, `Organisations of category ${actor.category} may never access the DMP`);
  if (resourceType && !classOf(resourceType)) return deny(403, `${resourceType} is not offered by this server`);
  const permission = permissionFor(interaction);
  // A constrained scope grants the interaction on its type; the rows are narrowed by the SQL predicate (reads) and
  // by `assertWriteWithinScopes` (writes).
  if (permission && !scopeGrant(actor.scopes, permission, resourceType)) {
    return deny(403, `The token's scopes do not grant ${interaction} on ${resourceType ?? 'this server'}`);
  }
  if (actor.purposeOfUse === 'BTG' && actor.kind === 'practitioner' && !actor.purposeReason?.trim()) {
    return deny(400, 'Break-glass access (purpose of use BTG) requires a reason');
  }
  // The reason reaches the patient's notices and history as written (purpose-reason.ts): one plain line, or refused.
  const reasonProblem = actor.purposeReason === undefined ? undefined : purposeReasonProblem(actor.purposeReason);
  if (reasonProblem) return deny(400, reasonProblem);
  const isWrite = WRITES.includes(interaction);
  if (isWrite && resourceType && SERVER_WRITTEN_TYPES.includes(resourceType)) return deny(403, `${resourceType} is written by the server only`);
  const readable = readableRows(actor.scopes);
  // A constrained scope is checked on the current row's index: an old version is not indexed, and may lie outside the
  // query (an Observation re-categorised). Versions of a type readable only under constraints are therefore not
  // shown: vread and history of that type are refused, and system history leaves it out (closed, not filtered).
  const versions = VERSIONS.includes(interaction);
  if (versions && resourceType && readable?.constrained[resourceType]) {
    return deny(403, `${interaction} of ${resourceType} is not offered under a constrained scope: old versions are not checked against its query`);
  }
  // Built with Object.assign, not spreads followed by properties: V8 (Node 20) defines each property written after a
  // spread in its runtime (0.5–1.5 µs a plan), and every request decides twice (authenticate, authorize).
  const base: AllowPlan = Object.assign(
    { effect: 'allow' as const, interaction, resourceType, at: options.now.toISOString(), readableTypes: readable?.types },
    readable && !versions && Object.keys(readable.constrained).length ? { constrainedTypes: readable.constrained } : {},
    { directory: false },
  );
  switch (actor.kind) {
    case 'patient':
    case 'guardian': {
      const hiddenCodes = actor.kind === 'guardian' ? [INVISIBLE_TO_PATIENT, INVISIBLE_TO_GUARDIANS] : [INVISIBLE_TO_PATIENT];
      if (isWrite && interaction === 'delete' && resourceType === 'Patient') return deny(403, 'A record is closed (Patient.active = false), never deleted');
      return Object.assign({}, base, { directory: true, own: { patientIds: actor.patientIds, hiddenCodes } });
    }
    case 'practitioner': {
      if (isWrite && resourceType === 'Consent' && interaction !== 'create') return deny(403, 'Only the patient or a legal guardian may change consents');
      if (isWrite && resourceType === 'Patient' && interaction === 'delete') return deny(403, 'A record is closed (Patient.active = false), never deleted');
      if (isWrite && resourceType === 'Patient' && professionalMode(actor) !== 'treat') {
        return deny(403, 'Emergency access (SAMU regulation, break-glass) reads a record; it never opens or changes one');
      }
      // Emergency access is a read; writes always need an ordinary authorisation.
      const mode = isWrite ? 'treat' : professionalMode(actor);
      return Object.assign({}, base, { directory: true, professional: { keys: actor.keys, mode } });
    }
    case 'system':
      return decideForSystem(actor, interaction, resourceType, base);
    default:
      return deny(403, 'Unknown kind of actor');
  }
}
