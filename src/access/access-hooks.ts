import type { Hooks, RequestContext } from '../fhir/context';
import { badRequest, forbidden } from '../fhir/errors';
import { decodeOrUndefined } from '../fhir/request-input';
import type { Db } from '../store/db';
import { FALSE } from '../store/sql';
import type { TokenVerifier } from '../auth/token-verifier';
import type { DmpActor } from './actor';
import type { AccessPlan } from './access-plan';
import { applyAccessWrite } from './access-tables';
import { AccessPredicateCache } from './access-predicate-cache';
import { compilePatientLookup } from './compile-access';
import { decideAccess } from './decide-access';
import { ActorResolver, IDENTITY_TYPES } from './actor-resolver';
import { assertWriteAllowed } from './write-rules';
import { assertCompartmentTie } from './compartment-tie';
import { assertFeederPatientLookup } from './feeder-lookup';
import { recordWriter, writerOf } from './provenance';
import { classOf } from './resource-classes';

/** Classes whose rows record their writer: changing them is for that writer (provenance.ts). */
const PROVENANCE_CLASSES: string[] = ['clinical', 'record'];

export interface AccessHooksOptions {
  db: Db;
  verifyToken: TokenVerifier;
  clock?: () => Date;
  /** Paths (relative to the FHIR base) served without a token: the CapabilityStatement by default. */
  publicPaths?: string[];
  /** Reuse of actor resolutions (ms; 0 disables): see `ActorResolver`. */
  actorCacheMs?: number;
}

/** Operations that only read the record, decided like a search of their resource type. */
const READ_OPERATIONS = ['$everything'];

/** Key of the resolved actor in `ctx.attributes`. */
export const ACTOR_ATTRIBUTE = 'access.actor';
/** Key of the plan of the current interaction in `ctx.attributes`. */
export const PLAN_ATTRIBUTE = 'access.plan';

const header = (headers: Record<string, string | string[] | undefined>, name: string): string | undefined => {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
};

/** Key marking a server-internal context (systemStore: imports, background workers) that skips write checks. */
export const SYSTEM_ATTRIBUTE = 'access.system';

/** Marks a context as the server's own (imports, background workers): writes are not checked against an actor. */
export function markSystemContext(ctx: RequestContext): void {
  ctx.attributes[SYSTEM_ATTRIBUTE] = true;
}

/** The DMP actor established by `authenticate`; 401-equivalent error when the request was never authenticated. */
export function actorOf(ctx: RequestContext): DmpActor {
  const actor = ctx.attributes[ACTOR_ATTRIBUTE] as DmpActor | undefined;
  if (!actor) throw forbidden('No authenticated actor');
  return actor;
}

const WRITE_INTERACTIONS: string[] = ['create', 'update', 'patch', 'delete'];
const NOW_ATTRIBUTE = 'access.now';

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
  const resolver = new ActorResolver({ ttlMs: options.actorCacheMs });
  const predicates = new AccessPredicateCache();
  // One instant per request for its decisions on consent periods: every statement of the request sees the same.
  const requestNow = (ctx: RequestContext): Date => (ctx.attributes[NOW_ATTRIBUTE] ??= now()) as Date;
  return {
    async authenticate(request, ctx) {
      ctx.access = FALSE;
      if (publicPaths.includes(request.path.replace(/\/+$/, '')) && ['GET', 'HEAD'].includes(request.method)) return;
      let actor = await options.verifyToken(header(request.headers, 'authorization'));
      const purpose = header(request.headers, 'x-purpose-of-use');
      const reason = header(request.headers, 'x-purpose-reason');
      if (purpose) actor = { ...actor, purposeOfUse: purpose.trim(), purposeReason: reason ? decodePurposeReason(reason) : actor.purposeReason };
      actor = await resolver.resolve(options.db, actor);
      ctx.actor = actor;
      ctx.purposeOfUse = actor.purposeOfUse;
      ctx.purposeReason = actor.purposeReason;
      ctx.attributes[ACTOR_ATTRIBUTE] = actor;
      ctx.updateCreate = false; // hidden is absent, for writes too: see Repository.update
      ctx.access = predicates.compile(decideAccess(actor, 'search-system', undefined, { now: requestNow(ctx) }));
    },

    async authorize(ctx, op) {
      const interaction = op.interaction === 'operation' && READ_OPERATIONS.includes(op.operation ?? '') ? 'search-type' : op.interaction;
      const plan = decideAccess(actorOf(ctx), interaction, op.resourceType, { now: requestNow(ctx) });
      ctx.attributes[PLAN_ATTRIBUTE] = plan;
      if (plan.effect !== 'allow') deny(plan);
      const isWrite = WRITE_INTERACTIONS.includes(op.interaction);
      if (!isWrite) ctx.access = predicates.compile(plan);
      // Conditional matches inside writes: feeders resolve patients by identity without being able to read.
      ctx.lookupAccess = isWrite || plan.feed ? compilePatientLookup(plan) : ctx.access;
      if (plan.feed) ctx.assertLookupCriteria = assertFeederPatientLookup;
    },

    async beforeWrite(tx, ctx, event) {
      await assertCompartmentTie(tx, event);
      if (ctx.attributes[SYSTEM_ATTRIBUTE] === true) return;
      const actor = actorOf(ctx);
      const plan = decideAccess(actor, event.interaction, event.resourceType, { now: now() });
      await assertWriteAllowed(tx, actor, plan, event);
    },

    async afterWrite(tx, ctx, event) {
      if (IDENTITY_TYPES.has(event.resourceType)) resolver.identityWritten(tx);
      await applyAccessWrite(tx, event);
      if (event.interaction === 'create' && PROVENANCE_CLASSES.includes(classOf(event.resourceType) ?? '')) {
        await recordWriter(tx, event, writerOf(ctx.attributes[ACTOR_ATTRIBUTE] as DmpActor | undefined, event.compartment));
      }
    },
  };
}

/** X-Purpose-Reason is percent-encoded free text; a malformed encoding is the client's error (400), not ours. */
function decodePurposeReason(raw: string): string {
  const decoded = decodeOrUndefined(raw);
  if (decoded === undefined) throw badRequest('X-Purpose-Reason has a malformed percent-encoding (encode it with encodeURIComponent)');
  return decoded;
}
