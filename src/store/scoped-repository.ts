import type { Resource } from '@medplum/fhirtypes';
import type { RequestContext } from '../kernel/request-context';
import type { SearchRequest } from '../kernel/search/types';
import type { CompartmentQuery } from './compartment-page';
import type { HistoryQuery, HistoryVersion } from './history-page';
import type { SearchOptions, SearchResult } from './search-executor';
import type { StoredResource } from './stored-row';
import type { Statements, Transactions } from './db';

/** What a create, update or delete wrote. */
export interface WriteResult {
  stored: StoredResource;
  resource: Resource;
  created: boolean;
  /** An update whose content equals the current version's: nothing was written, `stored` is that version. */
  unchanged?: boolean;
}

/**
 * The repository a request handler holds (`FhirService.repo`): every read goes through the request's access predicate
 * (`ctx.access`, which starts closed), every write through the hooks, and there is no raw connection or statement to
 * reach around them — no `db`, no `query`. System work (migrations, imports' look-ups, the notifier, purge, audit
 * verification) uses `system/system-repository.ts`, which no request handler may import
 * (test/unit/architecture/system-repository.test.ts). Medplum's per-login repository; HAPI's request-scoped DAO.
 */
export interface ScopedRepository {
  /** Runs fn in one transaction (joining the current one), with the repository bound to it. */
  transaction<T>(fn: (repo: ScopedRepository) => Promise<T>): Promise<T>;
  /** The current row including tombstones, or undefined when missing or hidden. */
  readRow(ctx: RequestContext, type: string, id: string): Promise<StoredResource | undefined>;
  /** Current rows of several resources, keyed `Type/id`; hidden ones are absent. */
  readRows(ctx: RequestContext, refs: { type: string; id: string }[]): Promise<Map<string, StoredResource>>;
  /** FHIR read: 404 when missing or hidden, 410 when deleted. */
  read(ctx: RequestContext, type: string, id: string): Promise<StoredResource>;
  /** FHIR vread. */
  vread(ctx: RequestContext, type: string, id: string, versionId: number): Promise<StoredResource>;
  /** The payload of a Binary version, under the access predicate like the row itself (hidden → undefined). */
  readBinaryData(ctx: RequestContext, id: string, versionId: number): Promise<{ contentType: string; data: Buffer } | undefined>;
  /** FHIR create. */
  create(ctx: RequestContext, resource: Resource, options?: { binaryData?: Buffer; id?: string; fresh?: boolean }): Promise<WriteResult>;
  /** FHIR update (or update-as-create). */
  update(ctx: RequestContext, resource: Resource, options?: { ifMatch?: number; binaryData?: Buffer; serverAssignedId?: boolean }): Promise<WriteResult>;
  /** FHIR delete (a tombstone version); hidden and missing answer alike. */
  delete(ctx: RequestContext, type: string, id: string): Promise<StoredResource | undefined>;
  /** Locks the current row for a read-modify-write; a row the caller may not see comes back as `hidden`. */
  lockTarget(ctx: RequestContext, type: string, id: string): Promise<{ row?: StoredResource; hidden: boolean }>;
  /** A search: one keyset page, its total and includes. */
  /** A search page; `maxIncluded` bounds what `_include`/`_revinclude` may add (422 too-costly past it). */
  search(ctx: RequestContext, request: SearchRequest, options?: SearchOptions): Promise<SearchResult>;
  /** One page of `_history`, newest first. */
  history(ctx: RequestContext, query: HistoryQuery): Promise<{ versions: HistoryVersion[]; next?: string }>;
  /** One page of a patient's compartment (`$everything`) with its total. */
  compartment(ctx: RequestContext, query: CompartmentQuery): Promise<{ resources: StoredResource[]; total: number; next?: string }>;
  /** Serialises concurrent transactions on a key until the current transaction ends (conditional create). */
  lockKey(key: string): Promise<void>;
  /** The keys of the authors of a DocumentReference the caller may see (its `authors`, or its professional writer; empty when hidden or missing). */
  documentAuthors(ctx: RequestContext, documentId: string): Promise<string[]>;
  /** Ids of the current DocumentReferences of a record whose content contains `probe` (JSON), at most `limit`. */
  findDocuments(ctx: RequestContext, query: { patientId: string; contains: string; limit: number }): Promise<{ id: string; content: unknown }[]>;
  /** Live rows (other than documents and Binaries) governed by a DocumentReference: what was extracted from it. */
  governedBy(ctx: RequestContext, documentId: string): Promise<StoredResource[]>;
}

/**
 * A capability the composition root injects into one operation or hook that must do system work in the request's
 * transaction (an account code, a notice row, the audit chain): statements on the connection under the request's
 * repository (inside a transaction, that transaction). Statements only: no transaction, no `close`, nothing a handler
 * could commit part of its request with. The operation names it in its options, so the wiring shows who holds it; it
 * cannot build one itself (`system/system-repository.ts`'s `statementsOf`).
 */
export type StatementsOf = (repo: ScopedRepository) => Statements;

/**
 * The one operation that commits apart from its request gets this instead: transactions of its own on the request's
 * connection (joining the request's transaction when inside one), for a reservation committed before the work it
 * guards runs (`Patient/$open-minor-record`'s attempt counter). `system/system-repository.ts`'s `ownTransactionsOf`.
 */
export type OwnTransactionsOf = (repo: ScopedRepository) => Transactions;
