import type { DeniedInfo, Hooks, Interaction, ReadEvent, RequestContext, WriteEvent } from '../fhir/context';
import { forbidden, methodNotAllowed } from '../fhir/errors';
import type { WriteTransaction } from '../store/write-transaction';
import { SOURCE_DOCUMENT_URL } from '../store/derived-columns';
import { type AuditAgentInfo, describeActor } from './audit-actor';
import { OUTCOME } from './audit-codes';
import { type AuditEventInput, type AuditSource, toAction } from './audit-event-builder';
import { AuditWriter, type AuditWriterOptions } from './audit-writer';
import type { AuditSystemStore } from './audit-system-store';
import { GroupCommit } from './group-commit';
import { identityCorrectionOf } from './identity-correction';
import { takeAccountEventsOfWrite } from './account-events-of-write';
import { patientsNamedBy } from './query-patients';
import { MAX_LOOKUPS, patientsByIdentifiers } from './denied-patients';
import { checkTrailSearch } from './trail-search-guard';
import { openTransaction } from './transaction-scope';
import { withoutHiddenEntities } from './hidden-entities';

export interface AuditHooksOptions {
  /**
   * The audit's work outside a request's transaction (the read group commit, a refusal's look-ups), built by the
   * wiring on the system repository: the hooks hold no connection of their own.
   */
  store: AuditSystemStore;
  /** This server, as named in every event. */
  source: AuditSource;
  /** Chain secret, custom indexer, and the in-transaction consumer of stored events (notifications). */
  writer?: AuditWriterOptions;
  /** Maps the request's actor to agent data (default: `describeActor`). */
  describe?: (ctx: RequestContext) => AuditAgentInfo | undefined;
  clock?: () => Date;
  /** Largest number of events committed together by the read group commit. */
  maxBatch?: number;
  /**
   * Read group-commit flushes in flight at once (default 1). More than one shortens the wait for a commit but
   * splits the queue into smaller batches, each paying for its own statement and WAL flush: on the 2-core
   * benchmark machine one flush at a time gave audit/core 0.78 (read) and 0.85 (search), four 0.65 and 0.62.
   */
  flushConcurrency?: number;
  /** Actor kinds allowed to read AuditEvents (their own, through the access predicate). */
  trailReaders?: string[];
}

/** The audit module's hook provider, plus entry points for events that are not FHIR interactions. */
export interface AuditHooks extends Hooks {
  afterWrite(tx: WriteTransaction, ctx: RequestContext, event: WriteEvent): Promise<void>;
  afterUnchanged(tx: WriteTransaction, ctx: RequestContext, event: WriteEvent): Promise<void>;
  afterRead(ctx: RequestContext, event: ReadEvent): Promise<void>;
  onDenied(ctx: RequestContext, info: DeniedInfo): Promise<void>;
  authorize(ctx: RequestContext, op: { interaction: Interaction; resourceType?: string; operation?: string }): Promise<void>;
  /** Audits a login attempt (patients' identifier + password + one-time code); resolves once durable. */
  recordLogin(ctx: RequestContext, info: { patientId?: string; success: boolean; reason?: string }): Promise<void>;
  /** Audits an account procedure (activation, password reset, contact change); resolves once durable. */
  recordAccountEvent(ctx: RequestContext, info: { patientId?: string; event: string; success: boolean; reason?: string; details?: { type: string; valueString: string }[] }): Promise<void>;
  /** Resolves when every event submitted so far is committed. */
  flush(): Promise<void>;
  readonly groupCommit: GroupCommit<AuditEventInput>;
  readonly writer: AuditWriter;
}

/** What every event of a request says alike: when, where from, who, why. */
type CommonFields = Pick<AuditEventInput, 'recorded' | 'source' | 'agent' | 'purpose' | 'network' | 'requestId'>;

/**
 * An event's input: the request's common fields, then its own (same keys in the same order as `{ ...common, ...own }`,
 * so the same stored text). Object.assign rather than a spread followed by properties: V8 (Node 20) defines each
 * property written after a spread in its runtime, ~6 µs for the event of every audited read (measured), where
 * assign copies at the speed of a plain literal.
 */
function eventInput(common: CommonFields, own: Partial<AuditEventInput> & Pick<AuditEventInput, 'category' | 'action' | 'outcome'>): AuditEventInput {
  return Object.assign({}, common, own);
}

const WRITES = new Set(['create', 'update', 'patch', 'delete']);
const READS = new Set(['read', 'vread', 'search-type', 'search-system', 'history-instance', 'history-type', 'history-system']);

/** The document a write belongs to: the DocumentReference itself, its Binary, or what was extracted from it. */
function documentOf(event: WriteEvent): string | undefined {
  if (event.resourceType === 'DocumentReference') return `DocumentReference/${event.id}`;
  const resource = (event.resource ?? event.previous) as { extension?: { url?: string; valueReference?: { reference?: string } }[]; securityContext?: { reference?: string } } | undefined;
  const source = resource?.extension?.find((e) => e.url === SOURCE_DOCUMENT_URL)?.valueReference?.reference;
  if (source) return source;
  const context = event.resourceType === 'Binary' ? resource?.securityContext?.reference : undefined;
  return context?.startsWith('DocumentReference/') ? context : undefined;
}

function defaultPurpose(agent: AuditAgentInfo | undefined): string | undefined {
  if (!agent) return undefined;
  if (agent.regulation) return 'ETREAT';
  if (agent.kind === 'practitioner') return 'TREAT';
  if (agent.kind === 'patient' || agent.kind === 'guardian') return 'PATRQT';
  return undefined;
}

/**
 * Creates the audit hooks: writes are audited inside their transaction (`afterWrite` gets `tx`); reads,
 * denials and logins go through a group commit whose promise resolves once the event is committed, so
 * the response waits for a durable event while many concurrent requests share one INSERT and one COMMIT.
 * One AuditEvent is written per patient compartment touched.
 */
export function createAuditHooks(options: AuditHooksOptions): AuditHooks {
  const writer = new AuditWriter(options.writer);
  const clock = options.clock ?? (() => new Date());
  const describe = options.describe ?? describeActor;
  const trailReaders = new Set(options.trailReaders ?? ['patient', 'guardian']);
  const groupCommit = new GroupCommit<AuditEventInput>(
    (inputs) => options.store.append(writer, inputs).then(() => undefined),
    options.maxBatch,
    options.flushConcurrency ?? 1,
  );

  const base = (ctx: RequestContext): CommonFields => {
    const agent = describe(ctx);
    const actorFields = (ctx.actor ?? {}) as { purposeOfUse?: unknown; purposeReason?: unknown };
    const code = ctx.purposeOfUse ?? (typeof actorFields.purposeOfUse === 'string' ? actorFields.purposeOfUse : undefined) ?? defaultPurpose(agent);
    const reason = ctx.purposeReason ?? (typeof actorFields.purposeReason === 'string' ? actorFields.purposeReason : undefined);
    return {
      recorded: clock(),
      source: options.source,
      agent,
      purpose: code ? { code, reason } : undefined,
      network: { address: ctx.remoteAddress, userAgent: ctx.userAgent },
      requestId: ctx.requestId,
    };
  };

  /**
   * The patients a read's query names (a search's parameters, `$everything`'s, `$verify`'s): their ids, and the records
   * carrying the identifiers it names (looked up in the request's transaction when there is one, else by the system).
   */
  const namedPatients = async (ctx: RequestContext, event: ReadEvent): Promise<string[]> => {
    if (event.query === undefined) return [];
    const { ids, identifiers } = patientsNamedBy(event.resourceType, event.query);
    if (!identifiers.length) return ids;
    const tx = openTransaction(ctx);
    const byIdentifier = tx ? await patientsByIdentifiers(tx, identifiers, { lookups: MAX_LOOKUPS }) : await options.store.patientsByIdentifiers(identifiers);
    return [...new Set([...ids, ...byIdentifier])];
  };

  const readInputs = (ctx: RequestContext, event: ReadEvent, named: string[]): AuditEventInput[] => {
    const isSearch = event.query !== undefined || event.interaction.startsWith('search');
    const groups = new Map<string | null, string[]>();
    for (const r of event.resources) {
      const key = r.compartment ?? null;
      const list = groups.get(key) ?? [];
      // Listing the AuditEvents a patient reads in yet another AuditEvent would only repeat the trail.
      if (!(isSearch && r.resourceType === 'AuditEvent')) list.push(r.versionId ? `${r.resourceType}/${r.id}/_history/${r.versionId}` : `${r.resourceType}/${r.id}`);
      groups.set(key, list);
    }
    // A read is filed in the trail of every patient its query names, whether it found anything of his or not: before,
    // only a search that found nothing was, so `Observation?patient=p1,p2` by a professional authorised in p1 alone was
    // filed in p1's trail and p2 never read that someone had searched his record (attack sweep 12).
    for (const p of named) if (!groups.has(p)) groups.set(p, []);
    // A total counts rows the page does not show (`_summary=count`, a total beyond the page): each record counted was
    // read from, and the count may say as much as a row (whether this patient has such a result).
    for (const patientId of event.counted ?? []) if (patientId !== null && !groups.has(patientId)) groups.set(patientId, []);
    // Resources outside any patient compartment (directory entries) need their own event only when alone.
    if (groups.size > 1) groups.delete(null);
    if (groups.size === 0) groups.set(null, []);
    const common = base(ctx);
    return [...groups.entries()].map(([patientId, resources]) =>
      eventInput(common, {
        category: 'rest',
        interaction: event.interaction,
        operation: event.operation,
        action: toAction(event.interaction),
        outcome: OUTCOME.success,
        patientId,
        resources,
        query: event.query,
        resourceType: event.resourceType,
      }),
    );
  };

  const hooks: AuditHooks = {
    writer,
    groupCommit,

    async interceptRequest(_svc, ctx, req, next) {
      // Only for the trail's readers: anyone else is refused by authorize (403), and audited as such.
      if (!trailReaders.has(ctx.actor?.kind ?? '')) return next(req);
      checkTrailSearch(req);
      // The events he reads are served without what is hidden from him of the documents they name (hidden-entities.ts).
      return withoutHiddenEntities((refs, codes) => options.store.hiddenNamedResources(refs, codes), ctx, await next(req));
    },

    async authorize(ctx, op) {
      if (op.resourceType !== 'AuditEvent') return;
      if (WRITES.has(op.interaction)) throw methodNotAllowed('AuditEvent is append-only: it cannot be created, changed or deleted through the API');
      if (READS.has(op.interaction) && !trailReaders.has(ctx.actor?.kind ?? '')) throw forbidden('Only the patient or a legal guardian may read the access trail');
    },

    async afterWrite(tx, ctx, event) {
      const input = eventInput(base(ctx), {
        category: 'rest',
        interaction: event.interaction,
        action: toAction(event.interaction),
        outcome: OUTCOME.success,
        patientId: event.compartment ?? null,
        resources: [`${event.resourceType}/${event.id}/_history/${event.versionId}`],
        resourceType: event.resourceType,
      });
      // An identity correction is also recorded as its own event, which says so and names the old and new INS.
      const identity = identityCorrectionOf(ctx, event);
      // Stored with the transaction's other events just before it commits (one chained statement per transaction); the
      // writes of one document (its DocumentReference, Binary, extracted resources) are told as one event.
      await writer.appendAtCommit(tx, [input], { together: documentOf(event) ?? 'no document' });
      if (identity) await writer.appendAtCommit(tx, [{ ...input, interaction: 'operation', operation: 'update-identity', action: 'U', identity }]);
      // An account procedure the write carried out (a guardian link retiring the holder's activation code): its own event.
      for (const account of takeAccountEventsOfWrite(ctx, event)) {
        await writer.appendAtCommit(tx, [{ ...input, purpose: undefined, category: 'account', interaction: undefined, resourceType: undefined, operation: account.operation, action: 'U', patientId: account.patientId, patientDetails: account.details }]);
      }
    },

    // An update that changed nothing (Repository.update) still is an access: recorded like the write, naming the
    // current version it answered.
    async afterUnchanged(tx, ctx, event) {
      await hooks.afterWrite(tx, ctx, event);
    },

    async afterRead(ctx, event) {
      // Inside a transaction Bundle the event rides on that transaction (durable when it commits, before the response).
      const named = await namedPatients(ctx, event);
      const tx = openTransaction(ctx);
      if (tx) await writer.appendAtCommit(tx, readInputs(ctx, event, named));
      else await groupCommit.submit(readInputs(ctx, event, named));
    },

    async onDenied(ctx, info) {
      // Filed in the trail of each patient the refused request names (path, search parameters, body), else unfiled.
      const query = info.request?.query.length ? new URLSearchParams(info.request.query).toString() : undefined;
      const named = info.request
        ? await options.store.deniedRequestPatients(info.request, { query, authenticated: ctx.actor !== undefined })
        : [await options.store.storedCompartment(info.resourceType, info.id)];
      const patients = named.length ? named : [null];
      const interaction = info.interaction ?? 'operation';
      const common = base(ctx);
      await groupCommit.submit(
        patients.map((patientId) =>
          eventInput(common, {
            category: 'rest',
            interaction,
            action: toAction(interaction),
            outcome: info.status >= 500 ? OUTCOME.seriousFailure : OUTCOME.minorFailure,
            outcomeDesc: `${info.reason} (HTTP ${info.status})`,
            patientId,
            resources: info.resourceType && info.id ? [`${info.resourceType}/${info.id}`] : [],
            query,
            resourceType: info.resourceType,
          }),
        ),
      );
    },

    async recordLogin(ctx, info) {
      const common = base(ctx);
      // A sign-in happens before any token: once the password and code (or the sign-in session) proved who it is,
      // the person is the account holder, so his trail reads "vous vous êtes connecté", not "an unknown user". A
      // refused attempt proves nothing about who tried: it stays without a person.
      const agent = common.agent ?? (info.success && info.patientId ? { kind: 'patient', reference: `Patient/${info.patientId}`, identifiers: [] } : undefined);
      await groupCommit.submit([
        {
          ...common,
          agent,
          purpose: undefined,
          category: 'login',
          action: 'E',
          outcome: info.success ? OUTCOME.success : OUTCOME.minorFailure,
          outcomeDesc: info.reason,
          patientId: info.patientId ?? null,
        },
      ]);
    },

    async recordAccountEvent(ctx, info) {
      await groupCommit.submit([
        {
          ...base(ctx),
          purpose: undefined,
          category: 'account',
          operation: info.event,
          action: 'U',
          outcome: info.success ? OUTCOME.success : OUTCOME.minorFailure,
          outcomeDesc: info.reason,
          patientId: info.patientId ?? null,
          patientDetails: info.details,
        },
      ]);
    },

    flush: () => groupCommit.idle(),
  };
  return hooks;
}
