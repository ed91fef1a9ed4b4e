import { createHash } from 'node:crypto';
import type { Statements } from './db';
import { raw, sql, type Sql } from '../kernel/sql';

/** Rows removed (or, in a dry run, that would be) per table, for one record. */
export type PurgeCounts = Record<string, number>;

/** The closed records whose retention ended: closed at or before `cutoff`, oldest first. */
export async function loadRecordsDueForPurge(db: Statements, cutoff: Date, limit = 1000): Promise<{ patientId: string; closedAt: Date }[]> {
  const { rows } = await db.query<{ patient_id: string; closed_at: Date }>(sql`SELECT patient_id, closed_at FROM access_record
    WHERE closed AND closed_at <= ${cutoff.toISOString()}::timestamptz ORDER BY closed_at, patient_id LIMIT ${limit}`);
  return rows.map((r) => ({ patientId: r.patient_id, closedAt: new Date(r.closed_at) }));
}

/**
 * Locks the record's access row if it is still closed at or before `cutoff` (re-checked inside the purge's
 * transaction: a reactivation or another purge may have committed since the record was listed). False otherwise.
 */
export async function lockRecordDueForPurge(tx: Statements, patientId: string, cutoff: Date): Promise<boolean> {
  const { rows } = await tx.query(sql`SELECT 1 FROM access_record
    WHERE patient_id = ${patientId} AND closed AND closed_at <= ${cutoff.toISOString()}::timestamptz FOR UPDATE`);
  return rows.length > 0;
}

/**
 * Deletes every row of a record in the caller's transaction, except its audit trail: the compartment's resources
 * (current and history rows) with their index rows, Binary payloads and document intake entries; consents, guardians
 * and the record row; notices; credentials, sign-in codes and the sign-in counters of the patient's identifiers; the attempts at opening a
 * child's record made by the patient or that opened this record.
 * AuditEvent rows (`resource` rows of type AuditEvent, their index rows, `audit_chain`) are kept whole: they are
 * append-only (migration 070) and the hash chain over them must still verify. Returns the rows removed per table.
 */
export async function deleteRecordRows(tx: Statements, patientId: string): Promise<PurgeCounts> {
  const { rows } = await tx.query<{ rid: string; type: string; id: string }>(
    sql`SELECT rid, type, id FROM resource WHERE compartment = ${patientId} AND type <> 'AuditEvent'`,
  );
  const rids = rows.map((r) => r.rid);
  const idsOf = (type: string) => rows.filter((r) => r.type === type).map((r) => r.id);
  const counts: PurgeCounts = {};
  const run = async (table: string, statement: Sql) => {
    counts[table] = (await tx.query(statement)).rowCount;
  };
  for (const table of ['idx_token', 'idx_string', 'idx_date', 'idx_reference', 'idx_quantity'] as const) {
    await run(table, sql`DELETE FROM ${raw(table)} WHERE rid = ANY(${rids}::bigint[])`);
  }
  await run('binary_data', sql`DELETE FROM binary_data WHERE id = ANY(${idsOf('Binary')}::text[])`);
  await run('document_intake', sql`DELETE FROM document_intake WHERE document_reference_id = ANY(${idsOf('DocumentReference')}::text[])`);
  await run('resource_history', sql`DELETE FROM resource_history WHERE type <> 'AuditEvent' AND (rid = ANY(${rids}::bigint[]) OR compartment = ${patientId})`);
  await run('resource', sql`DELETE FROM resource WHERE rid = ANY(${rids}::bigint[])`);
  // Consents before the record row: their triggers recompute the record's summary while it still exists.
  await run('access_consent', sql`DELETE FROM access_consent WHERE patient_id = ${patientId}`);
  await run('access_guardian', sql`DELETE FROM access_guardian WHERE patient_id = ${patientId}`);
  await run('access_record', sql`DELETE FROM access_record WHERE patient_id = ${patientId}`);
  await run('notify_outbox', sql`DELETE FROM notify_outbox WHERE patient_id = ${patientId}`);
  await run('notify_first_access', sql`DELETE FROM notify_first_access WHERE patient_id = ${patientId}`);
  await run('login_attempt', sql`DELETE FROM login_attempt WHERE login IN (SELECT login FROM patient_credential WHERE patient_id = ${patientId})`);
  await run('login_challenge', sql`DELETE FROM login_challenge WHERE patient_id = ${patientId}`);
  await run('patient_credential', sql`DELETE FROM patient_credential WHERE patient_id = ${patientId}`);
  // Attempts at opening a child's record: the patient's own as a parent, and the one that opened this record.
  await run('minor_opening_attempt', sql`DELETE FROM minor_opening_attempt WHERE parent_id = ${patientId} OR child_id = ${patientId}`);
  return counts;
}

/** Takes a transaction-scoped advisory lock keyed by a string if free; false when another transaction holds it. */
export async function advisoryLockTry(tx: Statements, key: string): Promise<boolean> {
  const hash = createHash('sha1').update(key).digest();
  const { rows } = await tx.query<{ ok: boolean }>(sql`SELECT pg_try_advisory_xact_lock(${hash.readInt32BE(0)}, ${hash.readInt32BE(4)}) AS ok`);
  return rows[0]?.ok === true;
}

/** Closed records whose purge is near (closed at or before `noticeCutoff`, after `purgeCutoff`) and not yet told so. */
export async function loadRecordsNearingPurge(db: Statements, noticeCutoff: Date, purgeCutoff: Date): Promise<{ patientId: string; closedAt: Date }[]> {
  const { rows } = await db.query<{ patient_id: string; closed_at: Date }>(sql`SELECT patient_id, closed_at FROM access_record
    WHERE closed AND purge_notice_at IS NULL AND closed_at <= ${noticeCutoff.toISOString()}::timestamptz AND closed_at > ${purgeCutoff.toISOString()}::timestamptz
    ORDER BY closed_at, patient_id`);
  return rows.map((r) => ({ patientId: r.patient_id, closedAt: new Date(r.closed_at) }));
}

/** Records that the purge notice of this closure was queued; false when it already was (or the record was reactivated). */
export async function markPurgeNoticeSent(tx: Statements, patientId: string, noticeCutoff: Date, at: Date): Promise<boolean> {
  const result = await tx.query(sql`UPDATE access_record SET purge_notice_at = ${at.toISOString()}::timestamptz
    WHERE patient_id = ${patientId} AND closed AND purge_notice_at IS NULL AND closed_at <= ${noticeCutoff.toISOString()}::timestamptz`);
  return result.rowCount === 1;
}
