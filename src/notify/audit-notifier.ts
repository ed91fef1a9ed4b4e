import { type AuditAgentInfo, professionalKey } from '../audit/audit-actor';
import { INVISIBLE_TO_GUARDIANS, INVISIBLE_TO_PATIENT } from '../access/access-plan';
import { SYSTEM } from '../audit/audit-codes';
import type { AuditEventInput } from '../audit/audit-event-builder';
import type { AppendListener, AuditTransaction, StoredAuditEvent } from '../audit/audit-writer';
import type { Statements } from '../store/db';
import { onSettled } from '../store/settle';
import { planEachTime, sql } from '../store/sql';
import { buildNotice } from './messages';
import { type Notice, queueNotices } from './outbox';

/** The professional in words for a notice: name, RPPS, organisation. */
export function describeProfessional(agent: AuditAgentInfo): string {
  const idNat = agent.identifiers.find((i) => i.system === SYSTEM.idNatPs)?.value;
  const rpps = idNat && /^8\d{11}$/.test(idNat) ? `RPPS ${idNat.slice(1)}` : idNat ? `id ${idNat}` : undefined;
  // Patients read it in French.
  const name = agent.display ?? 'Un professionnel de santé';
  const org = agent.organization?.display;
  return `${name}${rpps ? ` (${rpps})` : ''}${org ? `, ${org}` : ''}`;
}

interface Access {
  patientId: string;
  professional: string;
  event: StoredAuditEvent;
  agent: AuditAgentInfo;
}

/** Emergency notices are per professional per session (token) — or per day without a token id — not per read. */
function emergencyKey(kind: string, a: Access): string {
  const session = a.agent.tokenId ?? a.event.input.recorded.toISOString().slice(0, 10);
  return `${kind}:${a.patientId}:${a.professional}:${session}`;
}

/**
 * Derives notices from audit events, inside the transaction that stores them (the audit writer's
 * `onAppend`): a DocumentReference created by someone other than the patient; the first successful read of
 * a record by a given professional; every emergency session (SAMU regulation, or break-glass with its
 * reason). The common case — a professional reading a record he already read — costs one INSERT … ON
 * CONFLICT per batch.
 */
export function createAuditNotifier(options: { recordUrl: string }): AppendListener {
  // (patient, professional) pairs whose first access is recorded in a committed transaction: their reads need
  // no bookkeeping any more, so a batch made only of them is stored without a transaction (see `idleFor`).
  const known = new KnownPairs();
  const notify = async (tx: AuditTransaction, events: StoredAuditEvent[]): Promise<void> => {
    const notices: Notice[] = [];
    const accesses: Access[] = [];
    const added: { docId: string; notice: Notice }[] = [];
    for (const event of events) {
      const { input } = event;
      if (input.outcome !== '0' || !input.patientId || input.category !== 'rest') continue;
      const agent = input.agent;
      if (input.action === 'C' && agent?.kind !== 'patient' && agent?.kind !== 'guardian') {
        // One event may tell a document's creation with its Binary and extracted resources (merge-writes.ts).
        for (const docId of createdDocuments(input)) {
          added.push({ docId, notice: { key: `document-added:${docId}`, kind: 'document-added', patientId: input.patientId, text: buildNotice('document-added', { at: input.recorded, docId }, options.recordUrl), createdAt: input.recorded } });
        }
      }
      const professional = agent ? professionalKey(agent) : undefined;
      if (agent && professional && (input.action === 'R' || input.action === 'E')) accesses.push({ patientId: input.patientId, professional, event, agent });
    }

    const hidden = await documentsHiddenFromRecipients(tx, added.map((a) => a.docId));
    for (const a of added) if (!hidden.has(a.docId)) notices.push(a.notice);
    // An access that showed only what is hidden from the notices' readers tells them of nothing they may know: it is no
    // first access and no emergency notice (hidden is absent, notices included: attack sweep 12b). The next access that
    // shows them something is the first.
    const hiddenAccesses = await accessesOfHiddenOnly(tx, accesses.filter((a) => !known.has(`${a.patientId}|${a.professional}`) || emergencyKind(a.event.input)));
    if (hiddenAccesses.size) accesses.splice(0, accesses.length, ...accesses.filter((a) => !hiddenAccesses.has(a)));

    const emergencies = new Set<string>();
    for (const a of accesses) {
      const purpose = a.event.input.purpose;
      const kind = emergencyKind(a.event.input);
      if (!kind) continue;
      emergencies.add(`${a.patientId}|${a.professional}`);
      const facts = { at: a.event.input.recorded, who: describeProfessional(a.agent), reason: purpose?.reason };
      notices.push({ key: emergencyKey(kind, a), kind, patientId: a.patientId, text: buildNotice(kind, facts, options.recordUrl), createdAt: a.event.input.recorded, professional: a.professional });
    }

    const pairs = new Map<string, Access>();
    for (const a of accesses) if (!pairs.has(`${a.patientId}|${a.professional}`)) pairs.set(`${a.patientId}|${a.professional}`, a);
    if (pairs.size > 0) {
      // Sorted: concurrent audit transactions then take these row locks in one order and never deadlock.
      const list = [...pairs.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, access]) => access);
      const { rows } = await tx.query<{ patient_id: string; professional: string }>(sql`
        INSERT INTO notify_first_access (patient_id, professional, first_at)
        SELECT u.p, u.k, u.t::timestamptz FROM unnest(${list.map((a) => a.patientId)}::text[], ${list.map((a) => a.professional)}::text[],
          ${list.map((a) => a.event.input.recorded.toISOString())}::text[]) AS u(p, k, t)
        ON CONFLICT DO NOTHING
        RETURNING patient_id, professional`);
      onSettled(tx, (committed) => {
        if (committed) for (const pair of pairs.keys()) known.add(pair);
      });
      for (const row of rows) {
        const pair = `${row.patient_id}|${row.professional}`;
        const a = pairs.get(pair) as Access;
        // An emergency access already says who came in; one message is enough.
        if (emergencies.has(pair)) continue;
        const facts = { at: a.event.input.recorded, who: describeProfessional(a.agent) };
        notices.push({ key: `first-access:${pair}`, kind: 'first-access', patientId: a.patientId, text: buildNotice('first-access', facts, options.recordUrl), createdAt: a.event.input.recorded, professional: a.professional });
      }
    }
    await queueNotices(tx, notices);
  };
  return Object.assign(notify, {
    idleFor: (inputs: AuditEventInput[]) => inputs.every((input) => !hasWork(input) && known.has(accessPair(input))),
    // A restarted server knows no pair yet: one lookup of the batch's unknown pairs spares their transactions.
    async recall(db: Statements, inputs: AuditEventInput[]) {
      const unknown = [...new Set(inputs.map(accessPair).filter((p): p is string => p !== undefined && !known.has(p)))];
      if (unknown.length === 0) return;
      const split = unknown.map((pair) => [pair.slice(0, pair.indexOf('|')), pair.slice(pair.indexOf('|') + 1)]);
      // Planned at each call: the table starts empty and grows by one row per pair (see `planEachTime`).
      const { rows } = await db.query<{ pair: string }>(planEachTime(sql`
        SELECT f.patient_id || '|' || f.professional AS pair FROM notify_first_access f
        JOIN unnest(${split.map(([p]) => p)}::text[], ${split.map(([, k]) => k)}::text[]) AS u(p, k) ON f.patient_id = u.p AND f.professional = u.k`));
      for (const row of rows) known.add(row.pair);
    },
  });
}

/**
 * Documents whose "new document" notice would reveal them (hidden is absent, notices included): flagged
 * INVISIBLE_PATIENT, or INVISIBLE_REPRESENTANTS_LEGAUX in a record that has guardians — notices go to the record's
 * contacts, which a minor's guardians hold, and guardians read the record's Communications.
 */
async function documentsHiddenFromRecipients(tx: Statements, docIds: string[]): Promise<Set<string>> {
  if (!docIds.length) return new Set();
  const { rows } = await tx.query<{ id: string }>(sql`SELECT d.id FROM resource d WHERE d.type = 'DocumentReference' AND d.id = ANY(${docIds}::text[])
    AND (d.security && ${[INVISIBLE_TO_PATIENT]}::text[]
      OR (d.security && ${[INVISIBLE_TO_GUARDIANS]}::text[] AND EXISTS (SELECT 1 FROM access_guardian g WHERE g.patient_id = d.compartment)))`);
  return new Set(rows.map((r) => r.id));
}

/** The `Type/id` a resource reference of an event names (`Observation/o1/_history/2` → `Observation/o1`). */
function namedResource(reference: string): string | undefined {
  const m = /^([A-Z][A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})(?:\/|$)/.exec(reference);
  return m ? `${m[1]}/${m[2]}` : undefined;
}

/**
 * The accesses whose event names resources, every one of them governed by a document hidden from the notices'
 * recipients (`documentsHiddenFromRecipients`'s rule, read through each resource's `doc_id`: a DocumentReference governs
 * itself, its Binary and extracted resources follow it). One statement, only for accesses that may notify.
 */
async function accessesOfHiddenOnly(tx: Statements, accesses: Access[]): Promise<Set<Access>> {
  const candidates = accesses.map((a) => ({ access: a, named: [...new Set((a.event.input.resources ?? []).map(namedResource))] }))
    .filter((c): c is { access: Access; named: string[] } => c.named.length > 0 && c.named.every((r) => r !== undefined));
  if (!candidates.length) return new Set();
  const refs = [...new Set(candidates.flatMap((c) => c.named))];
  const { rows } = await tx.query<{ ref: string }>(sql`SELECT t.type || '/' || t.id AS ref FROM unnest(${refs}::text[]) AS u(ref)
    JOIN resource t ON t.type = split_part(u.ref, '/', 1) AND t.id = split_part(u.ref, '/', 2)
    JOIN resource d ON d.type = 'DocumentReference' AND d.id = t.doc_id AND d.compartment = t.compartment
    WHERE d.security && ${[INVISIBLE_TO_PATIENT]}::text[]
      OR (d.security && ${[INVISIBLE_TO_GUARDIANS]}::text[] AND EXISTS (SELECT 1 FROM access_guardian g WHERE g.patient_id = d.compartment))`);
  const hidden = new Set(rows.map((r) => r.ref));
  return new Set(candidates.filter((c) => c.named.every((r) => hidden.has(r))).map((c) => c.access));
}

/** The DocumentReferences an event names (a create event: the documents it created). */
function createdDocuments(input: AuditEventInput): string[] {
  return (input.resources ?? []).map((r) => /^DocumentReference\/([^/]+)/.exec(r)?.[1]).filter((id): id is string => id !== undefined);
}

/** The (patient, professional) pair of a successful professional read of a record, if the input is one. */
function accessPair(input: AuditEventInput): string | undefined {
  if (input.outcome !== '0' || !input.patientId || input.category !== 'rest' || !input.agent) return undefined;
  if (input.action !== 'R' && input.action !== 'E') return undefined;
  const professional = professionalKey(input.agent);
  return professional ? `${input.patientId}|${professional}` : undefined;
}

/** Work for the notifier whatever it has seen: a document added, an emergency access. */
function hasWork(input: AuditEventInput): boolean {
  if (input.outcome !== '0' || !input.patientId || input.category !== 'rest') return false;
  if (input.action === 'C' && createdDocuments(input).length > 0) return true;
  return accessPair(input) !== undefined && emergencyKind(input) !== undefined;
}

function emergencyKind(input: AuditEventInput): 'break-glass' | 'samu-access' | undefined {
  const purpose = input.purpose;
  return purpose?.code === 'BTG' ? 'break-glass' : input.agent?.regulation || purpose?.code === 'ETREAT' ? 'samu-access' : undefined;
}

/** A bounded set of pairs; forgetting one only costs its bookkeeping statement again. */
class KnownPairs {
  private readonly pairs = new Set<string>();
  constructor(private readonly max = 200_000) {}
  has(pair: string | undefined): boolean {
    return pair === undefined ? true : this.pairs.has(pair);
  }
  add(pair: string): void {
    if (this.pairs.size >= this.max) this.pairs.delete(this.pairs.values().next().value as string);
    this.pairs.add(pair);
  }
}
