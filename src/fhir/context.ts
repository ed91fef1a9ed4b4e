import type { Resource } from '@medplum/fhirtypes';
import type { FhirRequest, FhirResponse, SameAsExisting } from './request';
import type { FhirService } from './service';
import type { Interaction, ReadEvent, RequestContext } from '../kernel/request-context';
import type { WriteHooks } from '../store/write-hooks';

// The context types live in the kernel (below the store); callers above the store may keep importing them from here.
export type { Actor, Interaction, ReadEvent, RequestContext, WriteEvent } from '../kernel/request-context';

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
export interface Hooks extends WriteHooks {
  /** Establish the actor and the access predicate from the HTTP request (headers already lower-cased). */
  authenticate?(request: { headers: Record<string, string | string[] | undefined>; method: string; path: string }, ctx: RequestContext): Promise<void>;
  /** Decide whether the interaction is allowed at all (403), before any data is touched. */
  authorize?(ctx: RequestContext, op: { interaction: Interaction; resourceType?: string; id?: string; resource?: Resource; operation?: string }): Promise<void>;
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
  /**
   * The existing resource a plain create of a transaction entry means (`SameAsExisting`), asked before the
   * transaction draws the entry's id, so that the other entries' references to it name that resource (as for an entry's
   * If-None-Exist). A plain create outside a transaction is given its `sameAs` by `interceptRequest`.
   */
  sameAsExisting?(ctx: RequestContext, req: FhirRequest): SameAsExisting | undefined;
  /** When a request is refused (4xx from authenticate/authorize), for audit of denied attempts. */
  onDenied?(ctx: RequestContext, info: DeniedInfo): Promise<void>;
}
