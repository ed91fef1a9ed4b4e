import { randomUUID } from 'node:crypto';
import type { Resource } from '@medplum/fhirtypes';
import type { CoreLogger } from '../kernel/core-logger';
import type { RequestContext, WriteEvent } from '../kernel/request-context';
import type { WriteHooks } from './write-hooks';
import { badRequest, gone, notFound, preconditionFailed, unprocessable } from '../kernel/errors';
import type { Db } from './db';
import { carriesFlags, deriveColumns, securityCodes, type DerivedColumns } from './derived-columns';
import { computeIndexRows } from './indexer';
import { sql } from '../kernel/sql';
import { buildWriteStatement } from './write-sql';
import { HISTORY_SOURCE } from './history-source';
import { WriteBehindDb } from './write-behind-db';
import { connectionOfWrite, writeTransactionOn, type WriteTransaction } from './write-transaction';
import { adoptBinariesSql, relabelListsSql } from './batch-write-sql';
import { documentBinaryIds } from '../kernel/binary-url';
import { toStored, type Row, type StoredResource } from './stored-row';
import { stringifyWithLexicalDecimals } from '../kernel/lexical-decimal';
import { assertMayCreateById } from './update-create';
import { holdsSameVersion } from './unchanged-content';
import { executeSearch, type SearchOptions, type SearchResult } from './search-executor';
import { readHistoryPage, type HistoryQuery, type HistoryVersion } from './history-page';
import { readCompartmentPage, type CompartmentQuery } from './compartment-page';
import type { SearchRequest } from '../kernel/search/types';
import type { ScopedRepository, WriteResult } from './scoped-repository';
import { advisoryLock } from './locks';
import { findRecordDocuments, readDocumentAuthors, readGovernedRows } from './document-queries';
import { keepGoverningDocument, resolveColumns } from './governing-columns';

// Rows are mapped in stored-row.ts (the paging modules use it too); callers keep importing them from here.
export { toStored, type StoredResource } from './stored-row';
export type { ScopedRepository, WriteResult } from './scoped-repository';


const ID_PATTERN = /^[A-Za-z0-9\-.]{1,64}$/;

/** Whether the id is a valid FHIR id: 1-64 characters of A-Z, a-z, 0-9, '-' and '.'. */
export function isValidId(id: string): boolean {
  return ID_PATTERN.test(id);
}

/** Throws 400 unless the id is a valid FHIR id. */
export function assertValidId(id: string): void {
  // Typed string, but reached from request bodies: a non-string is a client's error too, never a TypeError (500).
  if (typeof id !== 'string') throw badRequest('Invalid resource id: a FHIR id is a string');
  if (!ID_PATTERN.test(id)) throw badRequest(`Invalid resource id "${id.slice(0, 80)}": 1-64 characters of A-Z, a-z, 0-9, '-' and '.'`);
}

/** Serialises a resource with resourceType, id and meta first, keeping the client's key order otherwise. */
export function serialise(resource: Resource): string {
  const { resourceType, id, meta, ...rest } = resource as Resource & Record<string, unknown>;
  // Decimals read from documents keep their digits (2.050 stays 2.050): see fhir/lexical-decimal.ts.
  const text = stringifyWithLexicalDecimals({ resourceType, id, meta, ...rest });
  if (text.includes('\\ud') && UNPAIRED_SURROGATE.test(text)) {
    throw unprocessable(`${resourceType} holds a string with an unpaired UTF-16 surrogate (a \\uD800-\\uDFFF escape on its own): it is not Unicode text`);
  }
  return text;
}

/**
 * An unpaired surrogate as JSON.stringify writes it, `\ud8xx`-`\udfxx` after an even run of backslashes: well-formed
 * pairs are written as they are, and a lone surrogate is not text, nor accepted by PostgreSQL's json types.
 */
const UNPAIRED_SURROGATE = /(?<!\\)(?:\\\\)*\\ud[89a-f][0-9a-f]{2}/;

/** Splits out a Binary's payload so that JSON rows never hold the bytes. */
function takeBinaryData(resource: Resource, binaryData?: Buffer): { resource: Resource; data?: Buffer } {
  if (resource.resourceType !== 'Binary') return { resource };
  const { data, ...rest } = resource;
  if (binaryData) return { resource: rest as Resource, data: binaryData };
  return { resource: rest as Resource, data: data !== undefined ? Buffer.from(data, 'base64') : undefined };
}

// Set by the class's static block: the one way to the connection under a repository from outside the class.
let underRepository: (repo: Repository) => Db;

/**
 * The resource repository: CRUD and versions on the current/history tables, every read filtered by the
 * caller's access predicate (`ctx.access`, over `resource r`). Writes run the hook points in one transaction.
 * Request handlers see it only as a `ScopedRepository` (no `db`, no `query`); the composition root builds it, and
 * system work reaches its connection only through `system/system-repository.ts`.
 */
export class Repository implements ScopedRepository {
  constructor(
    private readonly db: Db,
    private readonly hooks: WriteHooks[] = [],
    private readonly logger?: CoreLogger,
  ) {}

  /** The same repository bound to a transaction connection. */
  private withDb(db: Db): Repository {
    return new Repository(db, this.hooks, this.logger);
  }

  /** The same repository (its hooks included) bound to the transaction a write hook was given. */
  inWrite(tx: WriteTransaction): Repository {
    return this.withDb(connectionOfWrite(tx));
  }

  /** A repository with no hooks bound to the transaction a write hook was given. */
  static bareInWrite(tx: WriteTransaction): Repository {
    return new Repository(connectionOfWrite(tx));
  }

  // The connection under a repository, for the system layer alone (`connectionUnder` below).
  static {
    underRepository = (repo) => repo.db;
  }

  /** The write transaction this repository runs in (inside `transaction`), else undefined. */
  writeTransaction(): WriteTransaction | undefined {
    return this.db instanceof WriteBehindDb ? writeTransactionOn(this.db) : undefined;
  }

  /** The transaction a write's hooks get: every write runs inside `transaction`, on its write-behind connection. */
  private hookTransaction(): WriteTransaction {
    const tx = this.writeTransaction();
    if (!tx) throw new Error('a write runs inside a repository transaction');
    return tx;
  }

  /**
   * Runs fn in one transaction (joining the current one if already inside). Creates inside it are written behind
   * (see WriteBehindDb), and the work the writes owe as a whole (their audit events) is done, all before it commits.
   */
  transaction<T>(fn: (repo: Repository) => Promise<T>): Promise<T> {
    if (this.db instanceof WriteBehindDb) return fn(this);
    return this.db.transaction(async (tx) => {
      const writeBehind = new WriteBehindDb(tx);
      const result = await fn(this.withDb(writeBehind));
      await writeBehind.finish();
      return result;
    });
  }

  /** Reads the current row including tombstones, or undefined when missing or hidden by the access predicate. */
  async readRow(ctx: RequestContext, type: string, id: string): Promise<StoredResource | undefined> {
    const { rows } = await this.db.query<Row>(
      sql`SELECT rid, type, id, version_id, last_updated, compartment, deleted, text FROM resource r
          WHERE r.type = ${type} AND r.id = ${id} AND (${ctx.access})`,
    );
    return rows[0] ? toStored(rows[0]) : undefined;
  }

  /** Current rows (tombstones included) of several resources in one statement, keyed `Type/id`; hidden ones are absent. */
  async readRows(ctx: RequestContext, refs: { type: string; id: string }[]): Promise<Map<string, StoredResource>> {
    if (!refs.length) return new Map();
    const { rows } = await this.db.query<Row>(
      sql`SELECT rid, type, id, version_id, last_updated, compartment, deleted, text FROM resource r
          WHERE (r.type, r.id) IN (SELECT * FROM unnest(${refs.map((r) => r.type)}::text[], ${refs.map((r) => r.id)}::text[])) AND (${ctx.access})`,
    );
    return new Map(rows.map((row) => [`${row.type}/${row.id}`, toStored(row)]));
  }

  /** FHIR read: 404 when missing or hidden, 410 when deleted. */
  async read(ctx: RequestContext, type: string, id: string): Promise<StoredResource> {
    const row = await this.readRow(ctx, type, id);
    if (!row) throw notFound(`${type}/${id} not found`);
    if (row.deleted) throw gone(`${type}/${id} was deleted (version ${row.versionId})`);
    return row;
  }

  /** FHIR vread. */
  async vread(ctx: RequestContext, type: string, id: string, versionId: number): Promise<StoredResource> {
    const { rows } = await this.db.query<Row>(
      sql`SELECT h.rid, h.type, h.id, h.version_id, h.last_updated, h.compartment, h.deleted, h.text
          FROM ${HISTORY_SOURCE} h JOIN resource r ON r.rid = h.rid
          WHERE h.type = ${type} AND h.id = ${id} AND h.version_id = ${versionId} AND (${ctx.access})`,
    );
    if (!rows[0]) throw notFound(`${type}/${id}/_history/${versionId} not found`);
    if (rows[0].deleted) throw gone(`${type}/${id} version ${versionId} is a deletion`);
    return toStored(rows[0]);
  }

  /** The payload of a Binary version, under the access predicate of its current row (as vread): hidden → undefined. */
  async readBinaryData(ctx: RequestContext, id: string, versionId: number): Promise<{ contentType: string; data: Buffer } | undefined> {
    const { rows } = await this.db.query<{ content_type: string; data: Buffer | Uint8Array }>(
      sql`SELECT b.content_type, b.data FROM binary_data b JOIN resource r ON r.type = 'Binary' AND r.id = b.id
          WHERE b.id = ${id} AND b.version_id = ${versionId} AND (${ctx.access})`,
    );
    if (!rows[0]) return undefined;
    const data = rows[0].data;
    return { contentType: rows[0].content_type, data: Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength) };
  }

  /**
   * FHIR create with a server-assigned id (`options.id`: one a transaction gave its entry; `fresh` when the server drew
   * it for this create, a random UUID no row holds). A create never replaces: the row statement is an upsert, so a
   * create under a taken id — live, deleted or hidden from the caller — overwrote that row and took over its history
   * (attack sweep 11: a transaction's If-None-Exist matched a row its entry could not see, or one another entry
   * deleted). An id that was not drawn fresh is checked first, whoever's the row, with one answer that names nothing
   * of it (a drawn one is not: the check would write the creates queued before it, one statement each).
   */
  async create(ctx: RequestContext, resource: Resource, options: { binaryData?: Buffer; id?: string; fresh?: boolean } = {}): Promise<WriteResult> {
    const id = options.id ?? randomUUID();
    return this.transaction(async (repo) => {
      if (options.id !== undefined && !options.fresh && (await repo.idTaken(resource.resourceType, id))) {
        throw preconditionFailed(`${resource.resourceType}/${id} cannot be created: a creation never replaces a resource. Send the entry again`);
      }
      return repo.write(ctx, { ...resource, id }, undefined, 'create', options.binaryData);
    });
  }

  /**
   * FHIR update (or update-as-create); `ifMatch` is the expected current version. A row the caller may not see is
   * treated exactly as a missing one: 412 under If-Match, else an update-as-create, which is refused with the same
   * answer whether the id is free or taken by a hidden row when the context closes it (`ctx.updateCreate === false`)
   * — see `assertMayCreateById`; a deleted row is re-created only where update-as-create is open. `serverAssignedId`:
   * the id was drawn by the server (conditional update creating).
   */
  async update(ctx: RequestContext, resource: Resource, options: { ifMatch?: number; binaryData?: Buffer; serverAssignedId?: boolean } = {}): Promise<WriteResult> {
    const id = resource.id as string;
    assertValidId(id);
    return this.transaction(async (repo) => {
      const { row: current, hidden } = await repo.lockTarget(ctx, resource.resourceType, id);
      if (options.ifMatch !== undefined && (!current || current.deleted || current.versionId !== options.ifMatch)) {
        throw preconditionFailed(
          current && !current.deleted
            ? `Version conflict: ${resource.resourceType}/${id} is at version ${current.versionId}, not ${options.ifMatch}`
            : `${resource.resourceType}/${id} does not exist, so If-Match: W/"${options.ifMatch}" cannot hold`,
        );
      }
      if (!current) assertMayCreateById(ctx, resource.resourceType, id, options.serverAssignedId ? 'drawn' : hidden ? 'taken' : 'chosen');
      // Re-creating a deleted row is a creation under an id the caller chose: the new row would take over the id's
      // history (its old versions read by whoever reads the new row's record, another patient's included).
      else if (current.deleted) assertMayCreateById(ctx, resource.resourceType, id, 'chosen');
      return repo.write(ctx, resource, current, current && !current.deleted ? 'update' : 'create', options.binaryData);
    });
  }

  /**
   * FHIR delete: writes a tombstone version. Deleting a missing or deleted resource is a no-op, and so is deleting one
   * the caller may not see (hidden is absent: the same answer as for a missing id).
   */
  async delete(ctx: RequestContext, type: string, id: string): Promise<StoredResource | undefined> {
    return this.transaction(async (repo) => {
      const { row: current } = await repo.lockTarget(ctx, type, id);
      if (!current || current.deleted) return undefined;
      const previous = JSON.parse(current.text as string) as Resource;
      const event: WriteEvent = { interaction: 'delete', resourceType: type, id, versionId: current.versionId + 1, previous, compartment: current.compartment };
      const tx = repo.hookTransaction();
      for (const hook of this.hooks) await hook.beforeWrite?.(tx, ctx, event);
      // The tombstone stays governed like the row: history is read under the current row's columns.
      const derived = deriveColumns(previous, computeIndexRows(previous));
      const columns = type === 'Binary' ? await keepGoverningDocument(repo.db, id, derived) : derived;
      const lastUpdated = new Date();
      await repo.db.query(buildWriteStatement({ type, id, versionId: current.versionId + 1, lastUpdated, columns, replacing: true }));
      for (const hook of this.hooks) await hook.afterWrite?.(tx, ctx, event);
      return { ...current, versionId: current.versionId + 1, lastUpdated, deleted: true, text: null };
    });
  }

  /**
   * Locks the current row for a read-modify-write; a row the caller may not see comes back as `hidden`, without it —
   * and is not locked: the access predicate is in the locking statement's WHERE, and whether a hidden row takes the id
   * is asked by a plain read, which waits for no lock. Before, every PUT, PATCH or DELETE of an id locked that row
   * whoever it belonged to: a request on a hidden id waited for its owner's write to commit while a missing one did not
   * (existence told by timing), and a caller's transaction naming hidden ids held their owners' writes back until it
   * ended (attack sweep 11).
   */
  async lockTarget(ctx: RequestContext, type: string, id: string): Promise<{ row?: StoredResource; hidden: boolean }> {
    const { rows } = await this.db.query<Row>(
      sql`SELECT rid, type, id, version_id, last_updated, compartment, deleted, text FROM resource r
          WHERE r.type = ${type} AND r.id = ${id} AND (${ctx.access}) FOR UPDATE`,
    );
    if (rows[0]) return { row: toStored(rows[0]), hidden: false };
    return { hidden: await this.idTaken(type, id) };
  }

  /** Whether a row (live, deleted or hidden from the caller) holds `type/id`; a plain read, so it waits for no lock. */
  private async idTaken(type: string, id: string): Promise<boolean> {
    const { rows } = await this.db.query(sql`SELECT 1 FROM resource WHERE type = ${type} AND id = ${id}`);
    return rows.length > 0;
  }

  private async write(
    ctx: RequestContext,
    input: Resource,
    current: StoredResource | undefined,
    interaction: 'create' | 'update',
    binaryData?: Buffer,
  ): Promise<WriteResult> {
    const versionId = (current?.versionId ?? 0) + 1;
    const lastUpdated = new Date();
    const { resource: withoutData, data } = takeBinaryData(input, binaryData);
    const meta = { ...withoutData.meta, versionId: String(versionId), lastUpdated: lastUpdated.toISOString() };
    const resource = { ...withoutData, meta } as Resource;
    const previous = current?.text ? (JSON.parse(current.text) as Resource) : undefined;
    const index = computeIndexRows(resource);
    for (const f of index.failures ?? []) this.logger?.warn('search parameter expression failed: the resource is not indexed on it', { requestId: ctx.requestId, resourceType: resource.resourceType, id: resource.id, param: f.param, error: f.error });
    const columns = await resolveColumns(this.db, resource, deriveColumns(resource, index), !!current);
    const event: WriteEvent = {
      interaction, resourceType: resource.resourceType, id: resource.id as string, versionId, resource, previous,
      compartment: columns.compartment, namedPatients: columns.namedPatients, binaryData: data,
    };
    const tx = this.hookTransaction();
    for (const hook of this.hooks) await hook.beforeWrite?.(tx, ctx, event);
    const text = serialise(resource);
    // Judged like any update first (the hooks above: who may change it, hidden answered as missing), then written
    // only when it changes something: an update equal to the current version answers that version, with no new row,
    // history, index or notice; the hooks that owe the access itself (audit) hear of it by `afterUnchanged`.
    if (interaction === 'update' && current && (await holdsSameVersion(this.db, current, text, columns, data))) {
      const unchanged: WriteEvent = { ...event, versionId: current.versionId, resource: previous };
      for (const hook of this.hooks) await hook.afterUnchanged?.(tx, ctx, unchanged);
      return { stored: current, resource: previous as Resource, created: false, unchanged: true };
    }
    const stored: StoredResource = { rid: 0, resourceType: resource.resourceType, id: resource.id as string, versionId, lastUpdated, compartment: columns.compartment, deleted: false, text };
    const row = { type: resource.resourceType, id: resource.id as string, versionId, lastUpdated, columns, text, index, replacing: !!current };
    if (!current && this.db instanceof WriteBehindDb) {
      const binary = resource.resourceType === 'Binary' && data ? { contentType: resource.contentType, data } : undefined;
      await this.db.queue({ ...row, binary }, stored);
    } else {
      const { rows } = await this.db.query<{ rid: number }>(buildWriteStatement(row));
      stored.rid = rows[0].rid;
      if (resource.resourceType === 'Binary' && data) {
        await this.db.query(sql`INSERT INTO binary_data (id, version_id, content_type, data) VALUES (${resource.id}, ${versionId}, ${resource.contentType}, ${data})`);
      }
    }
    if (resource.resourceType === 'DocumentReference') {
      await this.adoptBinaries(resource, columns, event.unadoptedBinaries);
      if (carriesFlags(columns.security) || carriesFlags(previous ? securityCodes(previous) : [])) {
        await this.db.query(relabelListsSql(resource.id as string));
      }
    }
    for (const hook of this.hooks) await hook.afterWrite?.(tx, ctx, event);
    return { stored, resource, created: interaction === 'create' };
  }

  /**
   * Binaries a DocumentReference points at (`Binary/<id>` urls) are governed by it: same compartment. Those the write
   * hooks kept out (hidden from the writer: `WriteEvent.unadoptedBinaries`) stay as they are, like missing ones.
   */
  private async adoptBinaries(doc: Resource & { resourceType: 'DocumentReference' }, columns: DerivedColumns, kept?: ReadonlySet<string>): Promise<void> {
    const binaryIds = documentBinaryIds(doc).filter((x) => !kept?.has(x));
    if (!binaryIds.length) return;
    const adoption = { docId: doc.id as string, compartment: columns.compartment, binaryIds };
    if (this.db instanceof WriteBehindDb) await this.db.queueAdoption(adoption);
    else await this.db.query(adoptBinariesSql(adoption));
  }

  /** A search: one keyset page, its total and includes, all through the access predicate. */
  search(ctx: RequestContext, request: SearchRequest, options: SearchOptions = {}): Promise<SearchResult> {
    return executeSearch(this.db, ctx, request, options);
  }

  /** One page of `_history` (server, type or instance), newest first, through the access predicate. */
  history(ctx: RequestContext, query: HistoryQuery): Promise<{ versions: HistoryVersion[]; next?: string }> {
    return readHistoryPage(this.db, ctx.access, query);
  }

  /** One page of a patient's compartment (`$everything`) with its total, through the access predicate. */
  compartment(ctx: RequestContext, query: CompartmentQuery): Promise<{ resources: StoredResource[]; total: number; next?: string }> {
    return readCompartmentPage(this.db, ctx.access, query);
  }

  /** Serialises concurrent transactions on a key until the current transaction ends. */
  lockKey(key: string): Promise<void> {
    return advisoryLock(this.db, key);
  }

  /** The keys of the authors of a DocumentReference the caller may see (its `authors`, or its professional writer; empty when hidden or missing). */
  documentAuthors(ctx: RequestContext, documentId: string): Promise<string[]> {
    return readDocumentAuthors(this.db, ctx.access, documentId);
  }

  /** Current DocumentReferences of a record whose content contains a JSON probe, under the caller's access. */
  findDocuments(ctx: RequestContext, query: { patientId: string; contains: string; limit: number }): Promise<{ id: string; content: unknown }[]> {
    return findRecordDocuments(this.db, ctx.access, query);
  }

  /** Live rows governed by a DocumentReference (what was extracted from it), under the caller's access. */
  governedBy(ctx: RequestContext, documentId: string): Promise<StoredResource[]> {
    return readGovernedRows(this.db, ctx.access, documentId);
  }
}

/**
 * The connection under a repository (inside a transaction, its write-behind connection), for the system layer to hand
 * out narrower handles on (`statementsOf`, `ownTransactionsOf`). Only src/system/system-repository.ts imports it
 * (test/unit/architecture/write-transaction.test.ts): no operation or hook gets a `Db` from a repository.
 */
export function connectionUnder(repo: Repository): Db {
  return underRepository(repo);
}
