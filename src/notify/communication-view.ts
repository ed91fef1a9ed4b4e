import type { Communication } from '@medplum/fhirtypes';
import { wroteHiddenFromGuardiansSql } from './confidential-professional';
import type { Statements } from '../store/db';
import { raw, sql, type Sql } from '../store/sql';
import { scrubContacts } from './dispatcher';
import { isSecretNotice } from './messages';
import type { OutboxRow } from './outbox-store';

/** Code system of our notice kinds (Communication.category). */
export const NOTICE_KIND_SYSTEM = 'https://dmp-fhir-adapter.org/fhir/CodeSystem/notice-kind';

const STATUS: Record<string, Communication['status']> = {
  pending: 'in-progress',
  sending: 'in-progress',
  delivered: 'completed',
  failed: 'not-done',
  'undeliverable-config': 'not-done',
  'no-recipient': 'not-done',
  expired: 'not-done',
};

function iso(value: Date | string | null): string | undefined {
  return value === null ? undefined : new Date(value).toISOString();
}

/**
 * An outbox row seen as a FHIR Communication. The outbox stays the single source of truth: a read-only
 * view cannot drift from the delivery state, and retries do not pile up resource versions. A login code's
 * text is never shown back. The provider's error text is shown without the addresses and numbers it quotes (attack sweep
 * 11): the record's notices are read by the patient and each guardian, and one guardian's rejected address is not the
 * other's to read.
 */
export function toCommunication(row: OutboxRow): Communication {
  const secret = isSecretNotice(row.kind);
  const status = STATUS[row.status] ?? 'unknown';
  return {
    resourceType: 'Communication',
    id: `notice-${row.id}`,
    meta: { lastUpdated: iso(row.delivered_at) ?? iso(row.created_at) },
    identifier: [{ system: 'urn:dmp-fhir-adapter:outbox', value: row.idempotency_key }],
    status,
    statusReason: status === 'not-done' || row.last_error ? { coding: [{ system: 'urn:dmp-fhir-adapter:outbox-status', code: row.status }], text: row.last_error ? scrubContacts(row.last_error) : undefined } : undefined,
    category: [{ coding: [{ system: NOTICE_KIND_SYSTEM, code: row.kind }] }],
    medium: row.channel === 'none' ? undefined : [{ coding: [{ system: 'http://hl7.org/fhir/contact-point-system', code: row.channel }] }],
    subject: row.patient_id ? { reference: `Patient/${row.patient_id}` } : undefined,
    recipient: row.patient_id ? [{ reference: `Patient/${row.patient_id}` }] : undefined,
    sent: iso(row.delivered_at),
    payload: [{ contentString: secret ? `${row.subject} (content withheld)` : row.body }],
  };
}

/**
 * A "new document" notice about a document that exists but that the reader's access predicate (over `resource r`)
 * does not show: hidden is absent, in the notices one reads too (a notice queued before the document was flagged, or
 * before the guardian came).
 */
function noticeOfHiddenDocument(access: Sql): Sql {
  const docId = sql`split_part(o.idempotency_key, ':', 2)`;
  return sql`(o.kind = 'document-added' AND EXISTS (SELECT 1 FROM resource d WHERE d.type = 'DocumentReference' AND d.id = ${docId})
    AND NOT EXISTS (SELECT 1 FROM resource r WHERE r.type = 'DocumentReference' AND r.id = ${docId} AND (${access})))`;
}

/**
 * A first-access or emergency notice about a professional who wrote a document of the record hidden from its legal
 * representatives: the guardians are not sent it (`outbox.ts`), and a guardian reading the record's notices must not
 * read it either — his name tells of the minor's confidential care.
 */
function noticeOfConfidentialProfessional(): Sql {
  return sql`(o.professional IS NOT NULL AND ${wroteHiddenFromGuardiansSql(raw('o.patient_id'), raw('o.professional'))})`;
}

/**
 * A patient's notices, newest first, as Communications (what the core serves for `Communication?patient=`); with the
 * reader's access predicate, without the notices of documents it hides; for a legal representative (`guardian`),
 * without the notices about professionals whose documents are hidden from him.
 */
export async function loadCommunications(db: Statements, patientId: string, page: { count: number; offset: number } = { count: 50, offset: 0 }, access?: Sql, options: { guardian?: boolean } = {}): Promise<{ total: number; resources: Communication[] }> {
  const hidden = options.guardian ? noticeOfConfidentialProfessional() : raw('FALSE');
  const { rows } = await db.query<OutboxRow & { total: number }>(sql`
    SELECT o.*, count(*) OVER () AS total FROM notify_outbox o WHERE o.patient_id = ${patientId} AND NOT ${access ? noticeOfHiddenDocument(access) : raw('FALSE')}
      AND NOT ${hidden}
    ORDER BY o.created_at DESC, o.id DESC LIMIT ${page.count} OFFSET ${page.offset}`);
  return { total: rows[0] ? Number(rows[0].total) : 0, resources: rows.map(toCommunication) };
}
