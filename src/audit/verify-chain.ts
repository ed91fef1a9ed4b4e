import type { AuditEvent, Parameters, ParametersParameter } from '@medplum/fhirtypes';
import type { Statements } from '../store/db';
import { sql } from '../store/sql';
import { GENESIS_HASH } from './audit-codes';
import { hashText } from './hash-chain';
import { readStoredEvent } from './stored-event';

export type BrokenReason =
  | 'sequence-gap'
  | 'link-mismatch'
  | 'missing-event'
  | 'hash-mismatch'
  | 'content-mismatch'
  | 'head-mismatch'
  | 'unchained-event';

/** The first link of a chain that does not hold. */
export interface BrokenLink {
  chain: string;
  /** Absent when the broken event is one the caller may not read (verify-operation.ts). */
  seq?: number;
  eventId?: string;
  reason: BrokenReason;
  detail: string;
}

export interface VerifyResult {
  intact: boolean;
  /** Events checked before stopping (all of them when intact). */
  events: number;
  chains: number;
  broken?: BrokenLink;
}

export interface VerifyOptions {
  /** Only this chain (a patient id; '' for events without a patient). */
  chain?: string;
  /** The HMAC key the writer used, if any. */
  secret?: string;
  pageSize?: number;
}

interface Row {
  chain: string;
  seq: number;
  event_id: string;
  prev_hash: string;
  hash: string;
  text: string | null;
  content: unknown;
}

/** JSON with keys sorted, to compare the indexed JSONB with the served text whatever their key order. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const obj = value as Record<string, unknown>;
    return `{${Object.keys(obj).sort().map((k) => `${JSON.stringify(k)}:${canonical(obj[k])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** Checks one stored event against the chain state; returns why it breaks the chain, if it does. */
function checkRow(row: Row, expected: { seq: number; hash: string }, secret?: string): { reason: BrokenReason; detail: string } | undefined {
  if (row.seq !== expected.seq) return { reason: 'sequence-gap', detail: `expected sequence ${expected.seq}, found ${row.seq}` };
  if (row.prev_hash !== expected.hash) return { reason: 'link-mismatch', detail: 'previous hash differs from the hash of the event before' };
  if (row.text === null) return { reason: 'missing-event', detail: `AuditEvent/${row.event_id} is missing` };
  if (hashText(row.text, secret) !== row.hash) return { reason: 'hash-mismatch', detail: `AuditEvent/${row.event_id} does not match its recorded hash` };
  let parsed: AuditEvent;
  let link: ReturnType<typeof readStoredEvent>['link'];
  try {
    ({ event: parsed, link } = readStoredEvent(row.event_id, row.text));
  } catch {
    return { reason: 'hash-mismatch', detail: `AuditEvent/${row.event_id} is not valid JSON` };
  }
  if (!link || link.previous !== row.prev_hash || link.sequence !== row.seq) {
    return { reason: 'link-mismatch', detail: `AuditEvent/${row.event_id} carries a chain link that differs from the chain table` };
  }
  // The writer stores no JSONB copy of an event (its index rows come from the resource itself): a copy that
  // appears later was written by someone else, and must at least say the same thing.
  const content = typeof row.content === 'string' ? JSON.parse(row.content) : row.content;
  if (content !== null && content !== undefined && canonical(content) !== canonical(parsed)) return { reason: 'content-mismatch', detail: `AuditEvent/${row.event_id}: indexed content differs from the recorded text` };
  return undefined;
}

/** Looks for a head whose chain lost rows at its end, or AuditEvents stored outside their record's chain. */
async function checkOrphans(db: Statements, chain: string | undefined): Promise<BrokenLink | undefined> {
  const onlyChain = chain === undefined ? sql`TRUE` : sql`h.chain = ${chain}`;
  const heads = await db.query<{ chain: string; seq: number }>(sql`
    SELECT h.chain, h.seq FROM audit_chain_head h
    WHERE ${onlyChain} AND h.seq > 0 AND NOT EXISTS (SELECT 1 FROM audit_chain c WHERE c.chain = h.chain)
    ORDER BY h.chain LIMIT 1`);
  if (heads.rows[0]) return { chain: heads.rows[0].chain, seq: 1, reason: 'missing-event', detail: `chain has a head at ${heads.rows[0].seq} but no events` };
  // `r.compartment = $1` for a patient's chain, not `coalesce(r.compartment, '') = $1`: the coalesce cannot use the
  // compartment index, so one patient's $verify read every AuditEvent of the server (333–900 ms at 323k events).
  // Each event must be a row of its own record's chain: the events (id, chain) less the chain rows (event id, chain),
  // a set difference (hashed or sorted, one pass over each side) rather than a look-up of each event by id, which
  // needed an index on `audit_chain (event_id)` — one more b-tree entry on every audited read, for this check only
  // (dropped by migration 211). An anti-join keyed on the chain alone could be planned as a nested loop reading the
  // whole chain for each event: quadratic on a long trail.
  const onlyCompartment = chain === undefined ? sql`TRUE` : chain === '' ? sql`(r.compartment IS NULL OR r.compartment = '')` : sql`r.compartment = ${chain}`;
  const onlyChainRows = chain === undefined ? sql`TRUE` : sql`c.chain = ${chain}`;
  const loose = await db.query<{ id: string; chain: string }>(sql`
    SELECT loose.id, loose.chain FROM (
      SELECT r.id, coalesce(r.compartment, '') AS chain FROM resource r WHERE r.type = 'AuditEvent' AND ${onlyCompartment}
      EXCEPT
      SELECT c.event_id, c.chain FROM audit_chain c WHERE ${onlyChainRows}
    ) loose
    LIMIT 1`);
  const row = loose.rows[0];
  return row ? { chain: row.chain, seq: 0, eventId: row.id, reason: 'unchained-event', detail: `AuditEvent/${row.id} is not part of its record's chain` } : undefined;
}

/**
 * Walks the hash chains (one per patient compartment, or only `options.chain`) in order and reports the
 * first broken link: a missing, edited or re-ordered event, an event whose JSONB differs from its hashed
 * text, a chain whose tail was cut (head ahead of the last event), or an AuditEvent outside its record's chain.
 */
export async function verifyChain(db: Statements, options: VerifyOptions = {}): Promise<VerifyResult> {
  const pageSize = options.pageSize ?? 1000;
  const onlyChain = options.chain === undefined ? sql`TRUE` : sql`c.chain = ${options.chain}`;
  let after = { chain: '', seq: 0 };
  let current: { chain: string; seq: number; hash: string } | undefined;
  let events = 0;
  let chains = 0;
  const result = (broken?: BrokenLink): VerifyResult => ({ intact: !broken, events, chains, broken });

  const checkHead = async (state: { chain: string; seq: number; hash: string }): Promise<BrokenLink | undefined> => {
    const head = await db.query<{ seq: number; hash: string }>(sql`SELECT seq, hash FROM audit_chain_head WHERE chain = ${state.chain}`);
    const h = head.rows[0];
    if (h && Number(h.seq) === state.seq && h.hash === state.hash) return undefined;
    return { chain: state.chain, seq: state.seq + 1, reason: 'head-mismatch', detail: `chain ends at ${state.seq} but its head says ${h ? h.seq : 'nothing'}` };
  };

  for (;;) {
    const page = await db.query<Row>(sql`
      SELECT c.chain, c.seq, c.event_id, c.prev_hash, c.hash, r.text, r.content
      FROM audit_chain c LEFT JOIN resource r ON r.type = 'AuditEvent' AND r.id = c.event_id
      WHERE ${onlyChain} AND (c.chain, c.seq) > (${after.chain}, ${after.seq})
      ORDER BY c.chain, c.seq LIMIT ${pageSize}`);
    for (const raw of page.rows) {
      const row = { ...raw, seq: Number(raw.seq) };
      if (!current || current.chain !== row.chain) {
        if (current) {
          const broken = await checkHead(current);
          if (broken) return result(broken);
        }
        current = { chain: row.chain, seq: 0, hash: GENESIS_HASH };
        chains++;
      }
      const problem = checkRow(row, { seq: current.seq + 1, hash: current.hash }, options.secret);
      if (problem) return result({ chain: row.chain, seq: row.seq, eventId: row.event_id, ...problem });
      current = { chain: row.chain, seq: row.seq, hash: row.hash };
      events++;
    }
    if (page.rows.length < pageSize) break;
    const last = page.rows[page.rows.length - 1];
    after = { chain: last.chain, seq: Number(last.seq) };
  }
  if (current) {
    const broken = await checkHead(current);
    if (broken) return result(broken);
  }
  return result(await checkOrphans(db, options.chain));
}

/** The result of `$verify` as a FHIR Parameters resource. */
export function toVerifyParameters(result: VerifyResult): Parameters {
  const parameter: ParametersParameter[] = [
    { name: 'intact', valueBoolean: result.intact },
    { name: 'events', valueInteger: result.events },
    { name: 'chains', valueInteger: result.chains },
  ];
  const b = result.broken;
  if (b) {
    const part: ParametersParameter[] = [
      { name: 'chain', valueString: b.chain || '(no patient)' },
      ...(b.seq === undefined ? [] : [{ name: 'sequence', valueInteger: b.seq }]),
      { name: 'reason', valueCode: b.reason },
      { name: 'detail', valueString: b.detail },
    ];
    if (b.eventId) part.push({ name: 'event', valueReference: { reference: `AuditEvent/${b.eventId}` } });
    parameter.push({ name: 'firstBrokenLink', part });
  }
  return { resourceType: 'Parameters', parameter };
}
