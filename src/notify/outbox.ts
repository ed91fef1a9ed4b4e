import type { Patient } from '@medplum/fhirtypes';
import type { Statements } from '../store/db';
import { wroteHiddenFromGuardiansSql } from './confidential-professional';
import { sql } from '../store/sql';
import type { NoticeKind, NoticeText } from './messages';
import { forGuardian, loadGuardianRecipients } from './guardian-recipients';
import { effectivePreference } from './notice-preferences';
import { resolveRecipients } from './recipients';

/** A notice to a patient, before its recipients are resolved. */
export interface Notice {
  /** Idempotency key of the cause (e.g. `document-added:<id>`); one channel suffix is added per recipient. */
  key: string;
  kind: NoticeKind;
  patientId: string;
  text: NoticeText;
  createdAt: Date;
  expiresAt?: Date;
  /**
   * The professional a first-access or emergency notice is about (his IdNat_PS key): when he wrote a document hidden
   * from the legal representatives of the record, the guardians are not told of his access either.
   */
  professional?: string;
}

/** One outbox row to insert. */
export interface OutboxEntry {
  key: string;
  kind: NoticeKind;
  patientId: string | null;
  channel: 'email' | 'sms' | 'none';
  recipient: string | null;
  text: NoticeText;
  createdAt: Date;
  expiresAt?: Date;
  /** 'pending' to deliver; 'no-recipient' is kept for the record (never silently dropped). */
  status: 'pending' | 'no-recipient';
  note?: string;
  /** The professional a first-access or emergency notice is about (`Notice.professional`): the notice view reads it. */
  professional?: string;
}

/** Inserts outbox rows in the caller's transaction; a key already queued is left alone. Returns rows added. */
export async function insertOutbox(tx: Statements, entries: OutboxEntry[]): Promise<number> {
  if (entries.length === 0) return 0;
  // Sorted by key: concurrent transactions inserting the same keys wait on each other in one order (no deadlock).
  const sorted = [...entries].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  const col = <T>(f: (e: OutboxEntry) => T): T[] => sorted.map(f);
  const result = await tx.query(sql`
    INSERT INTO notify_outbox (idempotency_key, kind, patient_id, channel, recipient, subject, body, status, created_at, next_attempt_at, expires_at, last_error, professional)
    SELECT u.k, u.kind, u.p, u.ch, u.rc, u.s, u.b, u.st, u.c::timestamptz, u.c::timestamptz, u.x::timestamptz, u.note, u.pro
    FROM unnest(${col((e) => e.key)}::text[], ${col((e) => e.kind)}::text[], ${col((e) => e.patientId)}::text[], ${col((e) => e.channel)}::text[],
      ${col((e) => e.recipient)}::text[], ${col((e) => e.text.subject)}::text[], ${col((e) => e.text.body)}::text[], ${col((e) => e.status)}::text[],
      ${col((e) => e.createdAt.toISOString())}::text[], ${col((e) => e.expiresAt?.toISOString() ?? null)}::text[], ${col((e) => e.note ?? null)}::text[],
      ${col((e) => e.professional ?? null)}::text[])
      AS u(k, kind, p, ch, rc, s, b, st, c, x, note, pro)
    ON CONFLICT (idempotency_key) DO NOTHING`);
  return result.rowCount;
}

/** True when the professional wrote or authored a document of the record hidden from its legal representatives. */
async function wroteHiddenFromGuardians(tx: Statements, patientId: string, professional: string): Promise<boolean> {
  const { rows } = await tx.query<{ hidden: boolean }>(sql`SELECT ${wroteHiddenFromGuardiansSql(sql`${patientId}`, sql`${professional}`)} AS hidden`);
  return rows[0]?.hidden === true;
}

/** Loads the current Patient resources of the given ids (ignoring access: this is the server acting). */
export async function loadPatients(tx: Statements, ids: string[]): Promise<Map<string, Patient>> {
  if (ids.length === 0) return new Map();
  const { rows } = await tx.query<{ id: string; text: string }>(
    sql`SELECT r.id, r.text FROM resource r WHERE r.type = 'Patient' AND r.id = ANY(${ids}::text[]) AND NOT r.deleted`,
  );
  return new Map(rows.map((row) => [row.id, JSON.parse(row.text) as Patient]));
}

/**
 * Queues notices to patients in the caller's transaction: recipients come from each Patient's telecom and
 * preference at this moment; a patient with no usable contact gets a 'no-recipient' row, kept for the record.
 * Every legal guardian acting for the record at the notice's instant (a minor's parents, a court measure) gets the
 * same notice at his own contact (issue 12: a child often has no e-mail), except an address the patient's
 * recipients already have. Account notices (codes) do not come here: they stay the record's own.
 */
export async function queueNotices(tx: Statements, notices: Notice[]): Promise<number> {
  if (notices.length === 0) return 0;
  const patientIds = [...new Set(notices.map((n) => n.patientId))];
  const patients = await loadPatients(tx, patientIds);
  const entries: OutboxEntry[] = [];
  for (const notice of notices) {
    const patient = patients.get(notice.patientId);
    const recipients = resolveRecipients(patient, { now: notice.createdAt, kind: notice.kind });
    const common = { kind: notice.kind, patientId: notice.patientId, text: notice.text, createdAt: notice.createdAt, expiresAt: notice.expiresAt, professional: notice.professional };
    // Notices of this kind turned off for the record (by the patient or his guardian) are off for its guardians too.
    const off = effectivePreference(patient, notice.kind) === 'none';
    const found = off ? [] : ((await loadGuardianRecipients(tx, [notice.patientId], notice.createdAt)).get(notice.patientId) ?? []);
    const guardians = found.length && notice.professional && (await wroteHiddenFromGuardians(tx, notice.patientId, notice.professional)) ? [] : found;
    const sent = new Set(recipients.map((r) => `${r.channel}:${r.address.toLowerCase()}`));
    for (const guardian of guardians) {
      for (const r of guardian.recipients) {
        if (sent.has(`${r.channel}:${r.address.toLowerCase()}`)) continue;
        sent.add(`${r.channel}:${r.address.toLowerCase()}`);
        entries.push({ ...common, text: forGuardian(notice.text, patient), key: `${notice.key}:guardian:${guardian.relatedPersonId}:${r.channel}`, channel: r.channel, recipient: r.address, status: 'pending' });
      }
    }
    if (recipients.length === 0 && entries.every((e) => !e.key.startsWith(`${notice.key}:guardian:`))) {
      entries.push({ ...common, key: `${notice.key}:none`, channel: 'none', recipient: null, status: 'no-recipient', note: 'no usable e-mail or mobile number, or notices turned off' });
    }
    for (const r of recipients) entries.push({ ...common, key: `${notice.key}:${r.channel}`, channel: r.channel, recipient: r.address, status: 'pending' });
  }
  return insertOutbox(tx, entries);
}
