import { NEW_IN_REQUEST_STATE } from '../fhir/new-in-request';
import type { Hooks, RequestContext } from '../fhir/context';
import { badRequest, forbidden } from '../fhir/errors';
import { decodeOrUndefined } from '../fhir/request-input';
import { FALSE } from '../store/sql';
import type { TokenVerifier } from '../auth/token-verifier';
import { isAssuranceMaladie, type DmpActor } from './actor';
import type { AccessPlan } from './access-plan';
import { applyAccessWrite } from './access-tables';
import { AccessPredicateCache } from './access-predicate-cache';
import { ACCESS_CHANGING_TYPES, forgetAccessFacts } from './access-facts-memo';
import { compilePatientLookup } from './compile-access';
import { decideAccess } from './decide-access';
import { type ActorResolver, IDENTITY_TYPES } from './actor-resolver';
import { assertWriteAllowed } from './write-rules';
import { addAccountEventOfWrite } from '../audit/account-events-of-write';
import { assertWriteWithinScopes } from './scope-writes';
import { assertCompartmentTie } from './compartment-tie';
import { assertFeederPatientLookup } from './feeder-lookup';
import { recordWriter, writerOf } from './provenance';
import { classOf } from './resource-classes';

/** Classes whose rows record their writer: changing them is for that writer (provenance.ts). */
const PROVENANCE_CLASSES: string[] = ['clinical', 'record'];
import { assertContactPointsKept, assertGuardianContactsKept, COUNTER_CONTACT_STATE } from './contact-points';
import { assertOneIns, claimRecordIns, insConflictError } from './record-ins';
import { assertIdentityKept, assertMayCorrectIdentity, IDENTITY_PROCEDURE_STATE, UPDATE_IDENTITY } from './identity-traits';
import { StateKey } from '../fhir/request-state';
import { MINOR_OPENING_STATE } from './minor-opening-proof';
import { isWriteGranted } from '../fhir/write-grants';
import { assertNoForgedFields } from './source-document-guard';

export interface AccessHooksOptions {
  /**
   * Completes the token's actor from the directory and the access tables (system work, with its cache): built by the
   * wiring on the system repository. The hooks hold no connection of their own.
   */
  actors: ActorResolver;
  verifyToken: TokenVerifier;
  clock?: () => Date;
  /** Paths (relative to the FHIR base) served without a token: the CapabilityStatement by default. */
  publicPaths?: string[];
}

/**
 * The plan of a write of any type (a creation, else an update or patch, as the token's scopes allow), whose look-up a
 * transaction matches its entries with before they run: the one each entry then uses. None allowed: a denial.
 */
function writePlan(actor: DmpActor, now: Date): AccessPlan {
  const plans = (['create', 'update', 'patch'] as const).map((interaction) => decideAccess(actor, interaction, undefined, { now }));
  return plans.find((p) => p.effect === 'allow') ?? plans[0];
}

/** Operations that only read the record, decided like a search of their resource type. */
const READ_OPERATIONS = ['$everything'];

/** The Lists naming documents written so far in the request (named-documents.ts `assertListedDocumentsInRecord`). */
const LISTS_IN_REQUEST_STATE = new StateKey<Set<string>>('access.listsInRequest');

/** Key of the resolved actor in `ctx.state`. */
export const ACTOR_STATE = new StateKey<DmpActor>('access.actor');
/** Key of the plan of the current interaction in `ctx.state`. */
export const PLAN_STATE = new StateKey<AccessPlan>('access.plan');

const header = (headers: Record<string, string | string[] | undefined>, name: string): string | undefined => {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
};

/** Key marking a server-internal context (systemStore: imports, background workers) that skips write checks. */
export const SYSTEM_STATE = new StateKey<boolean>('access.system');

/** Marks a context as the server's own (imports, background workers): writes are not checked against an actor. */
export function markSystemContext(ctx: RequestContext): void {
  ctx.state.set(SYSTEM_STATE, true);
}

/** The DMP actor established by `authenticate`; 401-equivalent error when the request was never authenticated. */
export function actorOf(ctx: RequestContext): DmpActor {
  const actor = ctx.state.get(ACTOR_STATE);
  if (!actor) throw forbidden('No authenticated actor');
  return actor;
}

const WRITE_INTERACTIONS: string[] = ['create', 'update', 'patch', 'delete'];
const NOW_STATE = new StateKey<Date>('access.now');
/** Patients created earlier in this request (a transaction Bundle opening a minor's record with his parent). */
const CREATED_PATIENTS_STATE = new StateKey<string[]>('access.createdPatients');

function deny(plan: AccessPlan): never {
  if (plan.effect === 'allow') throw new Error('unreachable');
  throw plan.status === 400 ? badRequest(plan.reason) : forbidden(plan.reason);
}

/**
 * The access module's hooks: `authenticate` (bearer token → actor, purpose of use from headers, the read
 * predicate in `ctx.access`), `authorize` (403/400 before any data is touched), `beforeWrite` (consent and
 * legal write rules, 403/422) and `afterWrite` (keeps the consent tables and the writer of created rows in the
 * same transaction).
 */
export function createAccessHooks(options: AccessHooksOptions): Hooks {
  const now = options.clock ?? (() => new Date());
  const publicPaths = options.publicPaths ?? ['/metadata'];
  const resolver = options.actors;
  const predicates = new AccessPredicateCache();
  // One instant per request for its decisions on consent periods: every statement of the request sees the same.
  const requestNow = (ctx: RequestContext): Date => ctx.state.getOrSet(NOW_STATE, now);
  return {
    closesUpdateCreate: true,

    async authenticate(request, ctx) {
      ctx.access = FALSE;
      if (publicPaths.includes(request.path.replace(/\/+$/, '')) && ['GET', 'HEAD'].includes(request.method)) return;
      let actor = await options.verifyToken(header(request.headers, 'authorization'));
      const purpose = header(request.headers, 'x-purpose-of-use');
      const reason = header(request.headers, 'x-purpose-reason');
      if (purpose) actor = { ...actor, purposeOfUse: purpose.trim(), purposeReason: reason ? decodePurposeReason(reason) : actor.purposeReason };
      actor = await resolver.resolve(actor, requestNow(ctx));
      ctx.actor = actor;
      ctx.purposeOfUse = actor.purposeOfUse;
      ctx.purposeReason = actor.purposeReason;
      ctx.state.set(ACTOR_STATE, actor);
      ctx.updateCreate = false; // hidden is absent, for writes too: see Repository.update
      ctx.access = predicates.compile(decideAccess(actor, 'search-system', undefined, { now: requestNow(ctx) }));
    },

    async authorize(ctx, op) {
      if (op.interaction === 'operation' && op.operation === UPDATE_IDENTITY) {
        // The identity procedure is decided on the actor's role, not on consent: the Assurance Maladie may run it
        // without being able to read the record. The operation reads and writes its one Patient itself.
        assertMayCorrectIdentity(actorOf(ctx));
        assertNoForgedFields(ctx);
        ctx.access = FALSE;
        ctx.lookupAccess = FALSE;
        return;
      }
      const interaction = op.interaction === 'operation' && READ_OPERATIONS.includes(op.operation ?? '') ? 'search-type' : op.interaction;
      const plan = decideAccess(actorOf(ctx), interaction, op.resourceType, { now: requestNow(ctx) });
      ctx.state.set(PLAN_STATE, plan);
      if (plan.effect !== 'allow') deny(plan);
      // Allowed to attempt it: now the client's body may be refused for fields only the server sets (422).
      assertNoForgedFields(ctx);
      const isWrite = WRITE_INTERACTIONS.includes(op.interaction);
      if (!isWrite) ctx.access = predicates.compile(plan);
      // Conditional matches inside writes: feeders resolve patients by identity without being able to read.
      // A transaction matches its entries' If-None-Exist and conditional references before any entry runs: with the
      // look-up of a write, the one each entry uses, never with the read of the Bundle. Emergency access (SAMU,
      // break-glass) is a read: under it, a conditional create matched a row of a record the regulator reads but may
      // not write, and his entry was then stored under that row's id, in his own record (attack sweep 11).
      if (op.interaction === 'transaction') ctx.lookupAccess = compilePatientLookup(writePlan(actorOf(ctx), requestNow(ctx)));
      else ctx.lookupAccess = isWrite || plan.feed ? compilePatientLookup(plan) : ctx.access;
      if (plan.feed) ctx.assertLookupCriteria = assertFeederPatientLookup;
    },

    async beforeWrite(tx, ctx, event) {
      if (ACCESS_CHANGING_TYPES.has(event.resourceType)) forgetAccessFacts(tx);
      await assertCompartmentTie(tx, event);
      if (ctx.state.get(SYSTEM_STATE) === true) return;
      // Closed by default: a token actor writes only what the pipeline authorised for the interaction or operation
      // being dispatched (router.ts grants it after the authorize hooks). A handler or operation that skipped the
      // pipeline, or declared no writes, holds no grant.
      if (!isWriteGranted(ctx, event)) throw forbidden(`${event.interaction} of ${event.resourceType} was not authorised for this request: the interaction or operation running does not grant it`);
      // Whoever sets the INS of a record sets one (record-ins.ts): at its creation and by the identity procedure, the
      // only writes that set it (any other update changing it is refused as an identity change, 403).
      if (event.interaction === 'create' || ctx.state.get(IDENTITY_PROCEDURE_STATE) === event.id) assertOneIns(event);
      // The identity procedure, authorised on the actor's role, writes the identity traits of its one Patient.
      if (event.resourceType === 'Patient' && event.interaction === 'update' && ctx.state.get(IDENTITY_PROCEDURE_STATE) === event.id) return;
      // The counter procedure ($issue-activation with a contact), authorised on the actor's role (the Assurance Maladie,
      // who may otherwise only create), writes the contacts of its one Patient, built by the server from the stored one.
      if (event.resourceType === 'Patient' && event.interaction === 'update' && ctx.state.get(COUNTER_CONTACT_STATE) === event.id && isAssuranceMaladie(actorOf(ctx))) {
        assertIdentityKept(event);
        return;
      }
      // A parent's opening of his child's record (open-minor-record-operation.ts) proved its right before writing these.
      if (ctx.state.get(MINOR_OPENING_STATE) === true && event.interaction === 'create' && ['Patient', 'Consent', 'RelatedPerson'].includes(event.resourceType)) return;
      const actor = actorOf(ctx);
      const plan = decideAccess(actor, event.interaction, event.resourceType, { now: requestNow(ctx) });
      const createdPatients = ctx.state.getOrSet(CREATED_PATIENTS_STATE, () => []);
      await assertWriteAllowed(tx, actor, plan, event, { now: requestNow(ctx), patientsCreatedInRequest: createdPatients, newInRequest: ctx.state.get(NEW_IN_REQUEST_STATE), onCodesRetired: (e) => addAccountEventOfWrite(ctx, e), listsInRequest: ctx.state.getOrSet(LISTS_IN_REQUEST_STATE, () => new Set<string>()) });
      assertWriteWithinScopes(actor.scopes, event);
      if (event.resourceType === 'Patient' && event.interaction === 'create') createdPatients.push(event.id);
      assertContactPointsKept(ctx, actor, event);
      assertGuardianContactsKept(actor, event);
    },

    async afterWrite(tx, ctx, event) {
      if (IDENTITY_TYPES.has(event.resourceType)) resolver.identityWritten(tx);
      await applyAccessWrite(tx, event);
      // What the transaction's next decisions read of the access tables may have changed with this write.
      if (ACCESS_CHANGING_TYPES.has(event.resourceType)) forgetAccessFacts(tx);
      if (event.interaction === 'create' && PROVENANCE_CLASSES.includes(classOf(event.resourceType) ?? '')) {
        await recordWriter(tx, event, writerOf(ctx.state.get(ACTOR_STATE), event.compartment));
      }
      if (event.resourceType !== 'Patient') return;
      const taken = await claimRecordIns(tx, event);
      if (!taken) return;
      const actor = ctx.state.get(ACTOR_STATE);
      const readable = actor ? predicates.compile(decideAccess(actor, 'read', 'Patient', { now: requestNow(ctx) })) : FALSE;
      throw await insConflictError(tx, taken, readable);
    },
  };
}

/** X-Purpose-Reason is percent-encoded free text; a malformed encoding is the client's error (400), not ours. */
function decodePurposeReason(raw: string): string {
  const decoded = decodeOrUndefined(raw);
  if (decoded === undefined) throw badRequest('X-Purpose-Reason has a malformed percent-encoding (encode it with encodeURIComponent)');
  return decoded;
}
