import type { Resource } from '@medplum/fhirtypes';
import type { ValidateOptions } from '../validation';
import type { ScopedRepository, StoredResource } from '../store/repository';
import type { Hooks, Interaction, ReadEvent, RequestContext } from './context';
import type { CoreLogger } from './core-logger';
import type { WorkLimits } from './limits';
import type { FhirRequest, FhirResponse } from './request';
import { etag } from './request';
import { resourceUrl } from './bundle-json';
import type { WriteGrant } from './write-grants';

/** A FHIR operation (`$name`) handler, registered at a level. */
export interface OperationDefinitionEntry {
  name: string;
  /** Where it can be invoked: system (`/$x`), type (`/Type/$x`), instance (`/Type/id/$x`). */
  level: 'system' | 'type' | 'instance';
  resourceType?: string;
  methods: ('GET' | 'POST')[];
  handler: (svc: FhirService, ctx: RequestContext, req: FhirRequest, target: { resourceType?: string; id?: string }) => Promise<FhirResponse>;
  /** Documentation for the CapabilityStatement. */
  documentation?: string;
  /**
   * What the operation writes through the repository, declared so that the pipeline can grant exactly that once the
   * operation is authorised (`write-grants.ts`). Absent = reads only: any write it attempts for a token actor is
   * refused (403). Writes it makes by dispatching Bundle entries (`$import`) are authorised entry by entry.
   */
  writes?: readonly WriteGrant[];
}

/** Everything a handler needs; handlers know nothing of Express. */
export interface FhirService {
  /** Access-scoped: every read carries `ctx.access`; no raw connection (system work: system/system-repository.ts). */
  repo: ScopedRepository;
  hooks: Hooks[];
  /** Throws a 422 FhirError listing every problem. */
  validate(resource: Resource, options?: ValidateOptions): void;
  operations: OperationDefinitionEntry[];
  /** Profiles advertised in the CapabilityStatement (StructureDefinition canonical URLs by resource type). */
  profiles: Record<string, string[]>;
  /**
   * The resource types this server offers, with the interactions each supports. Any other type answers 404 and is
   * absent from the CapabilityStatement (closed by default: the composition root passes the access classification).
   */
  resourceTypes: ReadonlyMap<string, readonly string[]>;
  /** Endpoints of the SMART authorization server, from the FHIR base URL (CapabilityStatement `oauth-uris`); absent = none mounted. */
  oauthUris?: OAuthUris;
  /** Bounds on the work of one request (`limits.ts`). */
  limits: WorkLimits;
  /** Where the core reports unexpected errors (with the request id, never bodies). */
  logger: CoreLogger;
}

/** Where the SMART authorization server answers, for a FHIR base URL. */
export type OAuthUris = (fhirBaseUrl: string) => { authorize: string; token: string; revoke: string };

/** The same service with its repository bound to a transaction. */
export function withRepository(svc: FhirService, repo: ScopedRepository): FhirService {
  return { ...svc, repo };
}

/** Version headers of a stored resource. */
export function versionHeaders(baseUrl: string, stored: StoredResource): Record<string, string> {
  return {
    ETag: etag(stored.versionId),
    'Last-Modified': stored.lastUpdated.toUTCString(),
    'Content-Location': `${resourceUrl(baseUrl, stored)}/_history/${stored.versionId}`,
  };
}

/** A response carrying a stored resource as-is. */
export function storedResponse(status: number, baseUrl: string, stored: StoredResource, extra: Record<string, string> = {}): FhirResponse {
  return { status, json: stored.text ?? undefined, headers: Object.assign(versionHeaders(baseUrl, stored), extra) };
}

/** The read event of stored rows about to be shown (attached to the response as `reads`; the pipeline fires it). */
export function readEvent(
  interaction: Interaction,
  shown: StoredResource[],
  extra: { resourceType?: string; query?: string; operation?: string; counted?: (string | null)[] } = {},
): ReadEvent {
  return {
    interaction,
    ...extra,
    resources: shown.map((s) => ({ resourceType: s.resourceType, id: s.id, versionId: String(s.versionId), compartment: s.compartment })),
  };
}
