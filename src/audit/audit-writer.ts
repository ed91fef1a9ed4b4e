import type { AuditEvent } from '@medplum/fhirtypes';
import type { Statements } from '../store/db';
import type { SystemRepository } from '../system/system-repository';
import { onSettled } from '../store/settle';
import { WriteTransaction } from '../store/write-transaction';
import { sql } from '../store/sql';
import { GENESIS_HASH } from './audit-codes';
import type { AuditEventInput } from './audit-event-builder';
import { auditIndexRowsOf } from './audit-index';
import { type ChainHead, ChainHeads } from './chain-heads';
import { newEventId } from './event-id';
import { hashText } from './hash-chain';
import { mergeOwed, type OwedEvent } from './merge-writes';
import { NAMED_DOCUMENTS_VALUE, namedDocumentsOf } from './named-documents';
import { compactEventText, registerAuditEventStorage, renderAuditEvent } from './stored-event';

/** An AuditEvent as stored: the input it was built from, its id and its place in the chain. */
export interface StoredAuditEvent {
  input: AuditEventInput;
  id: string;
  rid: number;
  chain: string;
  seq: number;
  hash: string;
  /** The served AuditEvent, built when first read (nothing on the write path reads it). */
  readonly resource: AuditEvent;
}

/**
 * The transaction events are stored in: the WriteTransaction a write hook was given (the write's own), or the connection
 * of a transaction the system opened (the read group commit's, a record job's).
 */
export type AuditTransaction = Statements | WriteTransaction;

/** Consumer of stored events, run in the transaction that stores them (notifications derive from them). */
export type AppendListener = ((tx: AuditTransaction, events: StoredAuditEvent[]) => Promise<void>) & {
  /**
   * True when the listener would do nothing for these events: the writer may then store them in one
   * statement of their own, without a transaction around it.
   */
  idleFor?: (inputs: AuditEventInput[]) => boolean;
  /** Looks up, outside any transaction, what `idleFor` needs to know about these events. */
  recall?: (db: Statements, inputs: AuditEventInput[]) => Promise<void>;
};

export interface AuditWriterOptions {
  /** HMAC key for the chain hashes (recommended in production); plain SHA-256 without it. */
  secret?: string;
  /** Runs in the same transaction after the events are stored (notifications derive from them here). */
  onAppend?: AppendListener;
}

/** Key of the owed work that stores a transaction's audit events (`WriteTransaction.owe`). */
const OWED_EVENTS = 'audit.events';

/** SQLSTATEs of a batch whose cached chain heads were stale: it is built again from the stored heads. */
const STALE_HEAD_ERRORS = new Set(['DA001', '23505']);
const APPEND_ATTEMPTS = 3;

interface LinkedEvent {
  input: AuditEventInput;
  id: string;
  chain: string;
  seq: number;
  prevHash: string;
  hash: string;
  text: string;
}

/** Chain key of an event: its patient compartment, or '' for events that touch no patient. */
export function chainOf(input: AuditEventInput): string {
  return input.patientId ?? '';
}

/**
 * The event's index rows as kept in its own row (`resource.search_rows`, migration 153; `registerIndexRowsInRow` in
 * `stored-event.ts`): the same rows as before, in the shape the store expands them in (`store/index-rows-source.ts`).
 */
function searchRowsOf(input: AuditEventInput): object {
  const { tokens, references } = auditIndexRowsOf(input);
  return {
    token: tokens.map((t) => ({ param: t.param, system: t.system, code: t.code, text: t.text })),
    reference: references.map((x) => ({ param: x.param, target_type: x.targetType, target_id: x.targetId })),
  };
}

/**
 * The events of a batch as one JSON parameter (`json_to_recordset`), rather than ten array parameters: `pg` writes each
 * array as a literal, escaping every element's quotes and backslashes with two regular expressions in JavaScript — the
 * stored texts are JSON, full of quotes: that was most of what an audited read allocated —, where `JSON.stringify`
 * escapes them natively, once.
 */
function batchJson(linked: LinkedEvent[]): string {
  return JSON.stringify(linked.map((e) => {
    const named = namedDocumentsOf(e.input);
    return {
      id: e.id, recorded: e.input.recorded.toISOString(), compartment: e.input.patientId ?? null, text: e.text, seq: e.seq,
      prev_hash: e.prevHash, hash: e.hash, docs: named.docs, lookups: named.lookups, others: named.others, search_rows: searchRowsOf(e.input),
    };
  }));
}

/**
 * Appends hash-chained AuditEvents: each event stores its resource row, its index rows and its chain row,
 * and advances its chain's head, all in one statement (no `resource_history` row: an AuditEvent never
 * changes, vread and history read the current row). The statement advances a head only from the position
 * the events were chained from (`audit_expect_heads`), so a chain never forks whoever writes to it.
 */
export class AuditWriter {
  private readonly heads = new ChainHeads();
  /** Events a transaction owes, stored once before it commits (`appendAtCommit`), in the order they were given. */
  private readonly owed = new WeakMap<AuditTransaction, OwedEvent[]>();

  constructor(private readonly options: AuditWriterOptions = {}) {
    // What it stores must be readable wherever the store is.
    registerAuditEventStorage();
  }

  /**
   * Stores the events in the caller's transaction (writes are audited in theirs): locks the head of each chain
   * touched (in sorted order, so two writers never deadlock on each other's heads) until the caller commits,
   * which keeps each chain's order equal to its commit order. Returns the events in input order.
   */
  async appendInTx(tx: AuditTransaction, inputs: AuditEventInput[]): Promise<StoredAuditEvent[]> {
    if (inputs.length === 0) return [];
    // Events owed by this transaction happened before these: they go first, so each chain keeps the order of events.
    const earlier = mergeOwed(this.owed.get(tx)?.splice(0) ?? []);
    if (earlier.length) return (await this.appendNow(tx, [...earlier, ...inputs])).slice(earlier.length);
    return this.appendNow(tx, inputs);
  }

  /**
   * Stores the events in the caller's transaction before it commits, together with the other events it owes: an
   * import of 18 resources locks each chain head and writes its events in 2 statements, not 36. The events are as
   * durable as with `appendInTx` (same transaction, same commit) and the chain heads are locked for less time.
   * Consecutive events given the same `together` key that say the same thing become one (merge-writes.ts). Outside a
   * repository transaction (a system transaction's connection, not a WriteTransaction) they are stored at once.
   */
  async appendAtCommit(tx: AuditTransaction, given: AuditEventInput[], options: { together?: string } = {}): Promise<void> {
    if (given.length === 0) return;
    if (!(tx instanceof WriteTransaction)) {
      await this.appendInTx(tx, given);
      return;
    }
    const inputs: OwedEvent[] = given.map((input) => ({ input, together: options.together }));
    const owed = this.owed.get(tx);
    if (owed) {
      owed.push(...inputs);
      // Already stored by an `appendInTx` that took the list: owe its rest again.
      if (!tx.owes(OWED_EVENTS)) tx.owe(OWED_EVENTS, () => this.storeOwed(tx));
      return;
    }
    this.owed.set(tx, [...inputs]);
    tx.owe(OWED_EVENTS, () => this.storeOwed(tx));
  }

  private async storeOwed(tx: WriteTransaction): Promise<void> {
    const inputs = mergeOwed(this.owed.get(tx)?.splice(0) ?? []);
    if (inputs.length) await this.appendNow(tx, inputs);
  }

  private async appendNow(tx: AuditTransaction, inputs: AuditEventInput[]): Promise<StoredAuditEvent[]> {
    const chains = chainsOf(inputs);
    const locked = await tx.query<{ chain: string; seq: number; hash: string }>(sql`
      INSERT INTO audit_chain_head (chain, seq, hash)
      SELECT c, 0, ${GENESIS_HASH} FROM unnest(${chains}::text[]) WITH ORDINALITY AS u(c, n) ORDER BY n
      ON CONFLICT (chain) DO UPDATE SET seq = audit_chain_head.seq
      RETURNING chain, seq, hash`);
    const start = new Map(locked.rows.map((h) => [h.chain, { seq: Number(h.seq), hash: h.hash }]));
    const { linked, ends } = this.link(inputs, start);
    const stored = await this.store(tx, linked, start, ends);
    onSettled(tx, (committed) => (committed ? ends.forEach((head, chain) => this.heads.set(chain, head)) : this.heads.forget(chains)));
    if (this.options.onAppend) await this.options.onAppend(tx, stored);
    return stored;
  }

  /**
   * Stores the events durably on their own (the read group commit's flush). When nothing else must run in
   * their transaction, that is one statement chained from the heads this writer remembers — the batches in
   * flight chain on each other before they commit, and a batch built on a stale head fails as a whole and is
   * built again; otherwise, or after repeated conflicts, a transaction around `appendInTx`. System work (no request's
   * transaction): it runs on the system repository (`AuditSystemStore`), never a raw connection.
   */
  async append(system: SystemRepository, inputs: AuditEventInput[]): Promise<StoredAuditEvent[]> {
    if (inputs.length === 0) return [];
    const { onAppend } = this.options;
    if (onAppend?.idleFor && onAppend.recall && !onAppend.idleFor(inputs)) await onAppend.recall(system, inputs);
    if (!onAppend || onAppend.idleFor?.(inputs)) {
      const chains = chainsOf(inputs);
      for (let attempt = 0; attempt < APPEND_ATTEMPTS; attempt++) {
        await this.heads.load(system, chains);
        const start = new Map(chains.map((chain) => [chain, this.heads.get(chain) as ChainHead]));
        const { linked, ends } = this.link(inputs, start);
        ends.forEach((head, chain) => this.heads.set(chain, head));
        try {
          return await this.store(system, linked, start, ends);
        } catch (err) {
          this.heads.forget(chains);
          if (!STALE_HEAD_ERRORS.has((err as { code?: string }).code ?? '')) throw err;
        }
      }
    }
    return system.transaction((tx) => this.appendInTx(tx, inputs));
  }

  /** Links and hashes the events from the given chain heads; returns them and the new heads. */
  private link(inputs: AuditEventInput[], start: Map<string, ChainHead>): { linked: LinkedEvent[]; ends: Map<string, ChainHead> } {
    const ends = new Map(start);
    const linked = inputs.map((input) => {
      const chain = chainOf(input);
      const prev = ends.get(chain) ?? { seq: 0, hash: GENESIS_HASH };
      const id = newEventId(input.recorded.getTime());
      const seq = prev.seq + 1;
      const text = compactEventText(input, { previous: prev.hash, sequence: seq });
      const hash = hashText(text, this.options.secret);
      ends.set(chain, { seq, hash });
      return { input, id, chain, seq, prevHash: prev.hash, hash, text };
    });
    return { linked, ends };
  }

  /** One statement: resource rows (their index rows in them), chain rows, and the heads advanced from `start` to `ends`. */
  private async store(db: Statements, linked: LinkedEvent[], start: Map<string, ChainHead>, ends: Map<string, ChainHead>): Promise<StoredAuditEvent[]> {
    const chains = [...ends.keys()].sort();
    const inserted = await db.query<{ rid: number; id: string }>(sql`
      WITH v AS (
        SELECT * FROM json_to_recordset(${batchJson(linked)}::json)
          AS v(id text, recorded text, compartment text, text text, seq bigint, prev_hash text, hash text, docs text, lookups text, others boolean, search_rows jsonb)
      ), ins AS (
        INSERT INTO resource (type, id, version_id, last_updated, compartment, text, named_documents, search_rows)
        SELECT 'AuditEvent', v.id, 1, v.recorded::timestamptz, v.compartment, v.text, ${NAMED_DOCUMENTS_VALUE}, v.search_rows FROM v
        RETURNING rid, id
      ), links AS (
        INSERT INTO audit_chain (chain, seq, event_id, recorded, prev_hash, hash)
        SELECT coalesce(v.compartment, ''), v.seq, v.id, v.recorded::timestamptz, v.prev_hash, v.hash FROM v
      ), moves AS (
        SELECT * FROM unnest(${chains}::text[], ${chains.map((c) => start.get(c)?.seq ?? 0)}::bigint[],
          ${chains.map((c) => (ends.get(c) as ChainHead).seq)}::bigint[], ${chains.map((c) => (ends.get(c) as ChainHead).hash)}::text[])
          AS m(chain, from_seq, seq, hash)
      ), heads AS (
        INSERT INTO audit_chain_head AS h (chain, seq, hash)
        SELECT m.chain, m.seq, m.hash FROM moves m ORDER BY m.chain
        ON CONFLICT (chain) DO UPDATE SET seq = EXCLUDED.seq, hash = EXCLUDED.hash
          WHERE h.seq = (SELECT m.from_seq FROM moves m WHERE m.chain = EXCLUDED.chain)
        RETURNING h.chain
      )
      SELECT ins.rid, ins.id FROM ins WHERE audit_expect_heads((SELECT count(*) FROM heads), ${chains.length})`);
    const ridOf = new Map(inserted.rows.map((row) => [row.id, Number(row.rid)]));
    return linked.map((e) => storedEvent(e, ridOf.get(e.id) as number));
  }
}

/**
 * The stored form handed to listeners. Its `resource` is built on first read only: the stored text holds the input,
 * the index rows come from the input, and building the BALP JSON of every event for nobody was the writer's
 * largest CPU cost per audited read.
 */
function storedEvent(e: LinkedEvent, rid: number): StoredAuditEvent {
  let resource: AuditEvent | undefined;
  return {
    input: e.input, id: e.id, rid, chain: e.chain, seq: e.seq, hash: e.hash,
    get resource() {
      return (resource ??= renderAuditEvent(e.id, e.input, { previous: e.prevHash, sequence: e.seq }));
    },
  };
}

function chainsOf(inputs: AuditEventInput[]): string[] {
  return [...new Set(inputs.map(chainOf))].sort();
}
