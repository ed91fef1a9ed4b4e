import type { Statements } from './db';
import { sql } from './sql';

/** A record with guardian links, its Patient and each link's RelatedPerson (JSON texts), for the hand-over job. */
export interface GuardedRecord {
  patientId: string;
  patient: string;
  links: { relatedPersonId: string; person: string }[];
}

/**
 * Records that have (or had, until the link's period ended) a parent or legal guardian and whose hand-over at the
 * majority date `majorityOn` of their current birth date is not recorded yet. The caller decides who came of age.
 */
export async function loadGuardedRecords(db: Statements): Promise<GuardedRecord[]> {
  const { rows } = await db.query<{ patient_id: string; patient: string; related_person_id: string; person: string }>(sql`
    SELECT g.patient_id, p.text AS patient, g.related_person_id, rp.text AS person
      FROM access_guardian g
      JOIN resource p ON p.type = 'Patient' AND p.id = g.patient_id AND NOT p.deleted
      JOIN resource rp ON rp.type = 'RelatedPerson' AND rp.id = g.related_person_id AND NOT rp.deleted
     ORDER BY g.patient_id, g.related_person_id`);
  const records = new Map<string, GuardedRecord>();
  for (const row of rows) {
    const record = records.get(row.patient_id) ?? { patientId: row.patient_id, patient: row.patient, links: [] };
    record.links.push({ relatedPersonId: row.related_person_id, person: row.person });
    records.set(row.patient_id, record);
  }
  return [...records.values()];
}

/** The majority dates already handed over, as `<patientId>|<YYYY-MM-DD>`. */
export async function loadHandedOver(db: Statements, patientIds: string[]): Promise<Set<string>> {
  if (patientIds.length === 0) return new Set();
  const { rows } = await db.query<{ key: string }>(sql`SELECT patient_id || '|' || to_char(majority_on, 'YYYY-MM-DD') AS key
    FROM majority_handover WHERE patient_id = ANY(${patientIds}::text[])`);
  return new Set(rows.map((r) => r.key));
}

/** Claims the hand-over of one record's majority in the caller's transaction; false when it is done already. */
export async function claimHandover(tx: Statements, patientId: string, majorityOn: string, at: Date): Promise<boolean> {
  const result = await tx.query(sql`INSERT INTO majority_handover (patient_id, majority_on, handed_at)
    VALUES (${patientId}, ${majorityOn}::date, ${at.toISOString()}::timestamptz) ON CONFLICT DO NOTHING`);
  return result.rowCount > 0;
}

/** Records what the hand-over did (guardians told, credentials revoked, code sent). */
export async function recordHandover(tx: Statements, patientId: string, majorityOn: string, done: { guardians: string[]; revoked: number; codeSent: boolean }): Promise<void> {
  await tx.query(sql`UPDATE majority_handover SET guardians = ${done.guardians}::text[], revoked = ${done.revoked}, code_sent = ${done.codeSent}
    WHERE patient_id = ${patientId} AND majority_on = ${majorityOn}::date`);
}

/**
 * Removes the record's sign-in credentials set before `before` (and their codes and counters): set while the patient
 * was a minor, possibly by a parent, they must not outlive the parent's rights. Returns how many were removed.
 */
export async function revokeCredentialsSetBefore(tx: Statements, patientId: string, before: Date): Promise<number> {
  const { rows } = await tx.query<{ login: string }>(sql`SELECT login FROM patient_credential
    WHERE patient_id = ${patientId} AND updated_at < ${before.toISOString()}::timestamptz`);
  const logins = rows.map((r) => r.login);
  if (logins.length === 0) return 0;
  await tx.query(sql`DELETE FROM login_attempt WHERE login = ANY(${logins}::text[])`);
  await tx.query(sql`DELETE FROM login_challenge WHERE login = ANY(${logins}::text[])`);
  const result = await tx.query(sql`DELETE FROM patient_credential WHERE login = ANY(${logins}::text[])`);
  return result.rowCount;
}

/**
 * Ends the access tokens the former guardians hold (issue 11, migration 235), in the hand-over's transaction: their
 * rights on the record ended at the birthday, and a token they were given before would still be accepted for the rest.
 */
export async function endGuardianTokens(tx: Statements, relatedPersonIds: readonly string[]): Promise<void> {
  for (const id of relatedPersonIds) await tx.query(sql`SELECT token_cutoff_set(${`RelatedPerson/${id}`}, 'majority hand-over')`);
}
