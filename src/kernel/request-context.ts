import type { Resource } from '@medplum/fhirtypes';
import type { Sql } from './sql';
import type { RequestState } from './request-state';

// The request context as every layer sees it: the store reads `access` into each query, the handlers and hooks above
// it the rest. It lives below the store so that the store depends on nothing in `fhir/` (src/access/README.md).

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
  /**
   * Binaries a DocumentReference points at that it must not adopt: hidden from the writer, so answered as if they did
   * not exist (access/binary-adoption.ts) and left exactly as they are. Set by a beforeWrite hook, read by the store.
   */
  unadoptedBinaries?: Set<string>;
  /** The bytes of a Binary written (its `data`, kept apart from the resource), for hooks that look at the content. */
  binaryData?: Buffer;
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
  /**
   * The records (compartments) whose rows a search's total counted, shown or not (`_summary=count`, a total beyond the
   * page): a count is an access to each, filed in its trail like a row shown.
   */
  counted?: (string | null)[];
}
