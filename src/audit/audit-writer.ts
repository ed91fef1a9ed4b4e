import { randomUUID } from 'node:crypto';
import type { AuditEvent } from '@medplum/fhirtypes';
import type { Db } from '../store/db';
import { sql } from '../store/sql';
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
  /** Replaces the built-in index writer (e.g. with the core's generic indexer). */
  index?: IndexAuditRows;
  /** Runs in the same transaction after the events are stored (notifications derive from them here). */
  onAppend?: (tx: Db, events: StoredAuditEvent[]) => Promise<void>;
}

/** Chain key of an event: its patient compartment, or '' for events that touch no patient. */
export function chainOf(input: AuditEventInput): string {
  return input.patientId ?? '';
}

/** Writes the default index rows of AuditEvents (four statements for the whole batch). */
export const indexAuditRows: IndexAuditRows = async (tx, rows) => {
  const t: unknown[][] = [[], [], [], [], []];
  const s: unknown[][] = [[], [], [], []];
  const d: unknown[][] = [[], [], [], []];
  const r: unknown[][] = [[], [], [], []];
  for (const row of rows) {
    const idx = buildAuditIndexRows(row.resource, row.compartment);
    for (const x of idx.tokens) [row.rid, x.param, x.system, x.code, x.text].forEach((v, i) => t[i].push(v));
    for (const x of idx.strings) [row.rid, x.param, x.value, x.norm].forEach((v, i) => s[i].push(v));
    for (const x of idx.dates) [row.rid, x.param, x.low, x.high].forEach((v, i) => d[i].push(v));
    for (const x of idx.references) [row.rid, x.param, x.targetType, x.targetId].forEach((v, i) => r[i].push(v));
  }
  await tx.query(sql`
    WITH t AS (
      INSERT INTO idx_token (rid, type, param, system, code, text)
      SELECT u.rid, 'AuditEvent', u.param, u.system, u.code, u.text
      FROM unnest(${t[0]}::bigint[], ${t[1]}::text[], ${t[2]}::text[], ${t[3]}::text[], ${t[4]}::text[]) AS u(rid, param, system, code, text)
    ), s AS (
      INSERT INTO idx_string (rid, type, param, value, norm)
      SELECT u.rid, 'AuditEvent', u.param, u.value, u.norm
      FROM unnest(${s[0]}::bigint[], ${s[1]}::text[], ${s[2]}::text[], ${s[3]}::text[]) AS u(rid, param, value, norm)
    ), d AS (
      INSERT INTO idx_date (rid, type, param, low, high)
      SELECT u.rid, 'AuditEvent', u.param, u.low::timestamptz, u.high::timestamptz
      FROM unnest(${d[0]}::bigint[], ${d[1]}::text[], ${d[2]}::text[], ${d[3]}::text[]) AS u(rid, param, low, high)
    )
    INSERT INTO idx_reference (rid, type, param, target_type, target_id)
    SELECT u.rid, 'AuditEvent', u.param, u.target_type, u.target_id
    FROM unnest(${r[0]}::bigint[], ${r[1]}::text[], ${r[2]}::text[], ${r[3]}::text[]) AS u(rid, param, target_type, target_id)`);
};

/**
 * Appends AuditEvents inside the caller's transaction: locks the head of each chain touched (in sorted
 * order, so two writers never deadlock on each other's heads), links and hashes the events, then stores
 * resource rows, history rows, chain rows and head updates in one statement and index rows in another.
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
      ), hist AS (
        INSERT INTO resource_history (rid, type, id, version_id, last_updated, compartment, content, text)
        SELECT rid, 'AuditEvent', id, 1, last_updated, compartment, content, text FROM ins
      ), links AS (
        INSERT INTO audit_chain (chain, seq, event_id, recorded, prev_hash, hash)
        SELECT coalesce(v.compartment, ''), v.seq, v.id, v.recorded::timestamptz, v.prev_hash, v.hash FROM v
      ), heads AS (
        UPDATE audit_chain_head h SET seq = x.seq, hash = x.hash
        FROM unnest(${finalHeads.map(([c]) => c)}::text[], ${finalHeads.map(([, h]) => h.seq)}::bigint[],
          ${finalHeads.map(([, h]) => h.hash)}::text[]) AS x(chain, seq, hash)
        WHERE h.chain = x.chain
      )
      SELECT rid, id FROM ins`);
    const ridOf = new Map(inserted.rows.map((row) => [row.id, Number(row.rid)]));

    const stored: StoredAuditEvent[] = linked.map((e) => ({ input: e.input, id: e.id, rid: ridOf.get(e.id) as number, chain: e.chain, seq: e.seq, hash: e.hash, resource: e.resource }));
    await (this.options.index ?? indexAuditRows)(tx, stored.map((e) => ({ rid: e.rid, resource: e.resource, compartment: e.input.patientId ?? null })));
    if (this.options.onAppend) await this.options.onAppend(tx, stored);
    return stored;
  }
}
