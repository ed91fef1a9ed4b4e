import type { Resource } from '@medplum/fhirtypes';
import type { FhirRequest, FhirResponse } from './request';
import type { FhirService } from './service';
import type { Db } from '../store/db';
import type { Sql } from '../store/sql';
import type { RequestState } from './request-state';

/** Who is calling, as established by authentication. The access module refines `kind` and `claims`. */
export interface Actor {
  kind: string;
  id: string;
  display?: string;
  claims?: Record<string, unknown>;
}

/** FHIR interactions as named by the CapabilityStatement (plus our operations). */
export type Interaction =
  | 'read'
  | 'vread'
  | 'search-type'
  | 'search-system'
  | 'history-instance'
  | 'history-type'
  | 'history-system'
  | 'create'
  | 'update'
  | 'patch'
  | 'delete'
  | 'batch'
  | 'transaction'
  | 'operation';

/** Per-request state, built once, then handed to every handler and hook. */
export interface RequestContext {
  requestId: string;
  actor?: Actor;
  /** SQL predicate over `resource r` that every read adds (access decisions compiled into the query). */
  access: Sql;
  /**
   * Predicate used instead of `access` to resolve conditional matches/references inside writes, when set (a
   * feeder that cannot read still resolves `Patient?identifier=…`). Filled by the access module's authorize hook.
   */
  lookupAccess?: Sql;
  /**
   * Checks the criteria of a conditional match before it runs (throws a FhirError to refuse them): the access module
   * lets a feeder find a Patient by exact identifier only, never by name or birth date.
   */
  assertLookupCriteria?: (resourceType: string, params: [string, string][]) => void;
  /**
   * Whether the caller may create a resource under an id of his choosing (update-as-create). The access module closes
   * it (false) for token actors: an id taken by a row hidden from them would otherwise answer differently from a free
   * one. Undefined = open (the server's own writes, the core without access control).
   */
  updateCreate?: boolean;
  /** Purpose of use stated by the caller (e.g. TREAT, BTG) and its justification. */
  purposeOfUse?: string;
  purposeReason?: string;
  /** Network address and user agent, for audit. */
  remoteAddress?: string;
  userAgent?: string;
  /** Typed per-request state shared by hooks and operations (each module declares its own `StateKey`s). */
  state: RequestState;
}

/** A write about to be (or just) committed, as the store sees it. */
export interface WriteEvent {
  interaction: 'create' | 'update' | 'delete' | 'patch';
  resourceType: string;
  id: string;
  versionId: number;
  /** The new version (absent for delete). */
  resource?: Resource;
  /** The version it replaces (absent for create). */
  previous?: Resource;
  /** Patient compartment of the row. */
  compartment?: string | null;
  /** Every Patient the new version names through its compartment paths (more than one is refused by access rules). */
  namedPatients?: string[];
}

/** A read that is about to be answered: what was shown, for audit. */
export interface ReadEvent {
  interaction: Interaction;
  resourceType?: string;
  /** Each resource returned (including _include'd), by type/id/version and compartment. */
  resources: { resourceType: string; id: string; versionId?: string; compartment?: string | null }[];
  /** The raw query string of a search, if any. */
  query?: string;
  operation?: string;
}

/** A refused request (401/403), as `onDenied` hears of it. */
export interface DeniedInfo {
  interaction?: Interaction;
  resourceType?: string;
  id?: string;
  status: number;
  reason: string;
  /** The refused request itself, so that audit files it with the patient it names (path, search parameters, body). */
  request?: FhirRequest;
}

/**
 * Named interception points of the request flow (HAPI-style interceptors). Several providers may be
 * registered; they run in order. Throwing a FhirError stops the request.
 */
export interface Hooks {
  /** Establish the actor and the access predicate from the HTTP request (headers already lower-cased). */
  authenticate?(request: { headers: Record<string, string | string[] | undefined>; method: string; path: string }, ctx: RequestContext): Promise<void>;
  /** Decide whether the interaction is allowed at all (403), before any data is touched. */
  authorize?(ctx: RequestContext, op: { interaction: Interaction; resourceType?: string; id?: string; resource?: Resource; operation?: string }): Promise<void>;
  /** Inside the write transaction, before the row is written: may reject (4xx) the change. */
  beforeWrite?(tx: Db, ctx: RequestContext, event: WriteEvent): Promise<void>;
  /** Inside the write transaction, after the row is written: audit rows, outbox rows, derived tables. */
  afterWrite?(tx: Db, ctx: RequestContext, event: WriteEvent): Promise<void>;
  /** After a read is computed and before it is sent: the response waits for this promise. */
  afterRead?(ctx: RequestContext, event: ReadEvent): Promise<void>;
  /**
   * Around the dispatch of every FHIR request (and of each Bundle entry): may rewrite the request, or answer it by
   * calling `next` with another one (document intake turns an ITI-105 publish into a transaction). Calls `next` once
   * at most; not calling it answers without running the interaction.
   */
  interceptRequest?(svc: FhirService, ctx: RequestContext, req: FhirRequest, next: (req: FhirRequest) => Promise<FhirResponse>): Promise<FhirResponse>;
  /**
   * Declares that this provider closes update-as-create to the API's callers (`RequestContext.updateCreate = false`),
   * so that the CapabilityStatement says `updateCreate: false` instead of promising it.
   */
  readonly closesUpdateCreate?: boolean;
  /** When a request is refused (4xx from authenticate/authorize), for audit of denied attempts. */
  onDenied?(ctx: RequestContext, info: DeniedInfo): Promise<void>;
}
