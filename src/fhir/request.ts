import type { ReadEvent, RequestContext } from './context';
import type { Resource } from '@medplum/fhirtypes';
import type { StoredResource } from '../store/repository';
import type { FhirService } from './service';

/**
 * A conditional create the server makes of a plain one (set by the server's own hooks only, never from HTTP): inside
 * the create's transaction its locks are taken, then `find` looks for the resource the create means; one found is
 * answered 200 naming it, as If-None-Exist would. Looked up under the lock, in the transaction that creates, so that
 * identical creates sent at the same instant make one resource (a look-up before the transaction let each find nothing).
 */
export interface SameAsExisting {
  /** What makes two such creates one (two entries of a transaction with the same key are given one id). */
  key: string;
  lockKeys: readonly string[];
  /** The existing resource this create means, if any, through the service's transaction-bound repository. */
  find(svc: FhirService, ctx: RequestContext): Promise<StoredResource | undefined>;
}

/** A FHIR interaction request, independent of HTTP (the same shape serves each Bundle entry). */
export interface FhirRequest {
  method: 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Absolute base URL of the FHIR API, without trailing slash (for fullUrl, Location and paging links). */
  baseUrl: string;
  /** Path segments after the base (e.g. ['Patient', '123', '_history', '2']). */
  segments: string[];
  /** Query parameters in order, repeated names kept. */
  query: [string, string][];
  headers: {
    ifMatch?: string;
    ifNoneMatch?: string;
    ifNoneExist?: string;
    ifModifiedSince?: string;
    prefer?: string;
    contentType?: string;
    accept?: string;
  };
  /** Parsed JSON body (a resource, or Parameters/JSON Patch for PATCH), or raw bytes for Binary. */
  body?: Resource | unknown[] | Buffer;
  /** Server id reserved for a create inside a transaction (so `urn:uuid` references can point at it). */
  assignedId?: string;
  /**
   * Bytes of the transaction's Binary entries that carry no `data`, by fullUrl: set by the server's own callers only
   * (a CDA `$import` already holds the document it received; no base64 copy of it needs to travel in the Bundle).
   */
  binaryPayloads?: ReadonlyMap<string, Buffer>;
  /**
   * Ids an enclosing transaction already gave to entries of this Bundle, by fullUrl: set by the server's own callers only
   * (an ITI-105 publish sent as one entry of a transaction is run as a Bundle of its own; its DocumentReference must be
   * stored under the id the other entries' references were given).
   */
  reservedIds?: ReadonlyMap<string, string>;
  /** Set by the server's own hooks only: the resource a plain create means when one exists (`SameAsExisting`). */
  sameAs?: SameAsExisting;
  /** The payload of this entry's Binary, from its transaction's `binaryPayloads`. */
  binaryData?: Buffer;
}

/** What a handler answers; `json` is already-serialised FHIR JSON (stored text is sent as-is). */
export interface FhirResponse {
  status: number;
  headers?: Record<string, string>;
  json?: string;
  binary?: { contentType: string; data: Buffer };
  /**
   * What the answer shows, for the afterRead hooks (audit): the pipeline (`dispatch`) fires them for every response
   * that carries reads, before it is sent, so no handler can forget to (HAPI's STORAGE_PRESHOW_RESOURCES).
   */
  reads?: ReadEvent[];
}

/** True when the Prefer header asks for `return=minimal`. */
export function prefersMinimal(req: FhirRequest): boolean {
  return /return=minimal/.test(req.headers.prefer ?? '');
}

/** True when the Prefer header asks for strict handling of unknown search parameters. */
export function prefersStrict(req: FhirRequest): boolean {
  return /handling=strict/.test(req.headers.prefer ?? '');
}

/** Weak ETag of a version. */
export function etag(versionId: number | string): string {
  return `W/"${versionId}"`;
}

/** Reads a version number out of an If-Match / ETag value (`W/"3"`, `"3"` or `3`). */
export function parseEtag(value: string): number | undefined {
  const m = /^(?:W\/)?"?(\d+)"?$/.exec(value.trim());
  return m ? Number(m[1]) : undefined;
}
