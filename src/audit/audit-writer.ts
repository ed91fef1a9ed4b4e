import { randomUUID } from 'node:crypto';
import type { AuditEvent } from '@medplum/fhirtypes';
import type { Db } from '../store/db';
import { join, type Sql, sql } from '../store/sql';
import { GENESIS_HASH } from './audit-codes';
import { type AuditEventInput, buildAuditEvent } from './audit-event-builder';
import { buildAuditIndexRows } from './audit-index';
import { hashText, withChainLink } from './hash-chain';

/** An AuditEvent as stored: the input it was built from, its id and its place in the chain. */
export interface StoredAuditEvent {
  input: AuditEventInput;
  id: string;
  rid: number;
  chain: string;
  seq: number;
  hash: string;
  resource: AuditEvent;
}

/** Indexes stored rows for search; the default writes the AuditEvent parameters into the idx_* tables. */
export type IndexAuditRows = (tx: Db, rows: { rid: number; resource: AuditEvent; compartment: string | null }[]) => Promise<void>;

export interface AuditWriterOptions {
  /** HMAC key for the chain hashes (recommended in production); plain SHA-256 without it. */
  secret?: string;
  /** Replaces the built-in index rows (e.g. with the core's generic indexer); runs after the events are stored. */
  index?: IndexAuditRows;
  /** Runs in the same transaction after the events are stored (notifications derive from them here). */
  onAppend?: (tx: Db, events: StoredAuditEvent[]) => Promise<void>;
  /**
   * Also write the `resource_history` row (default true). An AuditEvent is immutable at version 1, so the row
   * repeats `resource` (about a fifth of the per-event database work): turn it off once the core's vread and
   * history of AuditEvent read `resource` (see README).
   */
  history?: boolean;
}

/** Chain key of an event: its patient compartment, or '' for events that touch no patient. */
export function chainOf(input: AuditEventInput): string {
  return input.patientId ?? '';
}

/**
 * CTE parts inserting the default index rows of the events being stored, joined to the `ins` CTE by event
 * id (so index rows go in the same statement as the events). Empty parts are left out of the statement.
 */
function indexParts(events: { id: string; resource: AuditEvent; compartment: string | null }[]): Sql[] {
  const t: unknown[][] = [[], [], [], [], []];
  const d: unknown[][] = [[], [], [], []];
  const r: unknown[][] = [[], [], [], []];
  for (const e of events) {
    const idx = buildAuditIndexRows(e.resource, e.compartment);
    for (const x of idx.tokens) [e.id, x.param, x.system, x.code, x.text].forEach((v, i) => t[i].push(v));
    for (const x of idx.dates) [e.id, x.param, x.low, x.high].forEach((v, i) => d[i].push(v));
    for (const x of idx.references) [e.id, x.param, x.targetType, x.targetId].forEach((v, i) => r[i].push(v));
  }
  const parts: Sql[] = [];
  if (t[0].length) {
    parts.push(sql`, i_token AS (INSERT INTO idx_token (rid, type, param, system, code, text)
      SELECT ins.rid, 'AuditEvent', u.param, u.system, u.code, u.text
      FROM unnest(${t[0]}::text[], ${t[1]}::text[], ${t[2]}::text[], ${t[3]}::text[], ${t[4]}::text[]) AS u(eid, param, system, code, text) JOIN ins ON ins.id = u.eid)`);
  }
  if (d[0].length) {
    parts.push(sql`, i_date AS (INSERT INTO idx_date (rid, type, param, low, high)
      SELECT ins.rid, 'AuditEvent', u.param, u.low::timestamptz, u.high::timestamptz
      FROM unnest(${d[0]}::text[], ${d[1]}::text[], ${d[2]}::text[], ${d[3]}::text[]) AS u(eid, param, low, high) JOIN ins ON ins.id = u.eid)`);
  }
  if (r[0].length) {
    parts.push(sql`, i_ref AS (INSERT INTO idx_reference (rid, type, param, target_type, target_id)
      SELECT ins.rid, 'AuditEvent', u.param, u.target_type, u.target_id
      FROM unnest(${r[0]}::text[], ${r[1]}::text[], ${r[2]}::text[], ${r[3]}::text[]) AS u(eid, param, target_type, target_id) JOIN ins ON ins.id = u.eid)`);
  }
  return parts;
}

/**
 * Appends AuditEvents inside the caller's transaction: locks the head of each chain touched (in sorted
 * order, so two writers never deadlock on each other's heads), links and hashes the events, then stores
 * resource rows, history rows, index rows, chain rows and head updates in one statement.
 * The head row locks are held until the caller commits, which keeps each chain's order equal to its
 * commit order.
 */
export class AuditWriter {
  constructor(private readonly options: AuditWriterOptions = {}) {}

  /** Stores the events in `tx`; returns them with ids and chain positions, in input order. */
  async appendInTx(tx: Db, inputs: AuditEventInput[]): Promise<StoredAuditEvent[]> {
    if (inputs.length === 0) return [];
    const chains = [...new Set(inputs.map(chainOf))].sort();
    const heads = await tx.query<{ chain: string; seq: number; hash: string }>(sql`
      INSERT INTO audit_chain_head (chain, seq, hash)
      SELECT c, 0, ${GENESIS_HASH} FROM unnest(${chains}::text[]) WITH ORDINALITY AS u(c, n) ORDER BY n
      ON CONFLICT (chain) DO UPDATE SET seq = audit_chain_head.seq
      RETURNING chain, seq, hash`);
    const head = new Map(heads.rows.map((h) => [h.chain, { seq: Number(h.seq), hash: h.hash }]));

    const linked = inputs.map((input) => {
      const chain = chainOf(input);
      const prev = head.get(chain) ?? { seq: 0, hash: GENESIS_HASH };
      const id = randomUUID();
      const seq = prev.seq + 1;
      const resource = withChainLink({ ...buildAuditEvent(input), id, meta: { versionId: '1', lastUpdated: input.recorded.toISOString() } }, { previous: prev.hash, sequence: seq });
      const text = JSON.stringify(resource);
      const hash = hashText(text, this.options.secret);
      head.set(chain, { seq, hash });
      return { input, id, chain, seq, prevHash: prev.hash, hash, resource, text };
    });

    const col = <K extends keyof (typeof linked)[number]>(key: K) => linked.map((e) => e[key]);
    const finalHeads = [...head.entries()].filter(([chain]) => chains.includes(chain));
    const inserted = await tx.query<{ rid: number; id: string }>(sql`
      WITH v AS (
        SELECT * FROM unnest(${col('id')}::text[], ${linked.map((e) => e.input.recorded.toISOString())}::text[],
          ${linked.map((e) => e.input.patientId ?? null)}::text[], ${col('text')}::text[], ${col('seq')}::bigint[],
          ${col('prevHash')}::text[], ${col('hash')}::text[]) AS v(id, recorded, compartment, text, seq, prev_hash, hash)
      ), ins AS (
        INSERT INTO resource (type, id, version_id, last_updated, compartment, content, text)
        SELECT 'AuditEvent', v.id, 1, v.recorded::timestamptz, v.compartment, v.text::jsonb, v.text FROM v
        RETURNING rid, id, last_updated, compartment, content, text
      )${
        this.options.history === false
          ? sql``
          : sql`, hist AS (
        INSERT INTO resource_history (rid, type, id, version_id, last_updated, compartment, content, text)
        SELECT rid, 'AuditEvent', id, 1, last_updated, compartment, content, text FROM ins
      )`
      }, links AS (
        INSERT INTO audit_chain (chain, seq, event_id, recorded, prev_hash, hash)
        SELECT coalesce(v.compartment, ''), v.seq, v.id, v.recorded::timestamptz, v.prev_hash, v.hash FROM v
      ), heads AS (
        UPDATE audit_chain_head h SET seq = x.seq, hash = x.hash
        FROM unnest(${finalHeads.map(([c]) => c)}::text[], ${finalHeads.map(([, h]) => h.seq)}::bigint[],
          ${finalHeads.map(([, h]) => h.hash)}::text[]) AS x(chain, seq, hash)
        WHERE h.chain = x.chain
      )
      ${join(this.options.index ? [] : indexParts(linked.map((e) => ({ id: e.id, resource: e.resource, compartment: e.input.patientId ?? null }))), '\n')}
      SELECT rid, id FROM ins`);
    const ridOf = new Map(inserted.rows.map((row) => [row.id, Number(row.rid)]));

    const stored: StoredAuditEvent[] = linked.map((e) => ({ input: e.input, id: e.id, rid: ridOf.get(e.id) as number, chain: e.chain, seq: e.seq, hash: e.hash, resource: e.resource }));
    if (this.options.index) await this.options.index(tx, stored.map((e) => ({ rid: e.rid, resource: e.resource, compartment: e.input.patientId ?? null })));
    if (this.options.onAppend) await this.options.onAppend(tx, stored);
    return stored;
  }
}
