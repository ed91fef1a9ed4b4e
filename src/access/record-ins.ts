import type { Patient } from '@medplum/fhirtypes';
import type { WriteEvent } from '../fhir/context';
import { conflict, type FhirError, unprocessable } from '../fhir/errors';
import type { Statements } from '../store/db';
import { sql, type Sql } from '../store/sql';
import { INS_SYSTEMS } from './actor';

/** The matricules INS a Patient carries (bare values: one person has one INS whatever the OID it is sent under). */
export function insValues(patient: Patient | undefined): string[] {
  const values = (patient?.identifier ?? []).filter((i) => i.system && INS_SYSTEMS.includes(i.system) && i.value).map((i) => i.value as string);
  return [...new Set(values)].sort();
}

/**
 * A record carries one matricule INS: a person has one (his NIR, or his NIA while he has none), whatever INS OID it is
 * written under. A second value is another person's: the record would claim it (one record per INS), receive that
 * person's documents, and be opened by her sign-in (attack sweep 11: a record opened with the holder's INS and another's).
 * Checked when the INS of a record is set — its creation, the identity procedure —, by whoever writes it: 422.
 */
export function assertOneIns(event: WriteEvent): void {
  if (event.resourceType !== 'Patient' || event.interaction === 'delete') return;
  const values = insValues(event.resource as Patient | undefined);
  if (values.length <= 1) return;
  if (event.previous && JSON.stringify(insValues(event.previous as Patient)) === JSON.stringify(values)) return;
  const diagnostics = `Patient.identifier: a record carries one INS (the patient's NIR, or his NIA), not ${values.join(' and ')}: two INS are two people`;
  const text = `Un dossier porte un seul INS (le NIR ou le NIA du patient) : ${values.join(' et ')} sont deux personnes`;
  throw unprocessable([{ severity: 'error', code: 'business-rule', diagnostics, details: { text }, expression: ['Patient.identifier'] }]);
}

/** An INS another record already holds. */
export interface InsClaimConflict {
  ins: string;
  holder: string;
}

/**
 * Keeps `record_ins` (migration 150) in step with a Patient write, inside its transaction, and answers the
 * first INS another record holds. The claim is an insert on the table's primary key, not a read-then-write: a
 * concurrent creation of the same INS waits for the first transaction and then finds the key taken. A record the
 * operator listed as a duplicate of that INS (`identity_duplicate`) does not claim it.
 */
export async function claimRecordIns(tx: Statements, event: WriteEvent): Promise<InsClaimConflict | undefined> {
  const wanted = event.interaction === 'delete' ? [] : insValues(event.resource as Patient | undefined);
  await tx.query(sql`DELETE FROM record_ins WHERE patient_id = ${event.id} AND NOT (ins = ANY(${wanted}::text[]))`);
  if (wanted.length === 0) return undefined;
  await tx.query(sql`INSERT INTO record_ins (ins, patient_id)
    SELECT w.ins, ${event.id} FROM unnest(${wanted}::text[]) AS w(ins)
     WHERE NOT EXISTS (SELECT 1 FROM identity_duplicate d WHERE d.patient_id = ${event.id} AND d.ins = w.ins)
     ORDER BY w.ins
    ON CONFLICT (ins) DO NOTHING`);
  const { rows } = await tx.query<InsClaimConflict>(sql`SELECT h.ins, h.patient_id AS holder FROM record_ins h
    WHERE h.ins = ANY(${wanted}::text[]) AND h.patient_id <> ${event.id}
      AND NOT EXISTS (SELECT 1 FROM identity_duplicate d WHERE d.patient_id = ${event.id} AND d.ins = h.ins)
    ORDER BY h.ins LIMIT 1`);
  return rows[0];
}

/**
 * The 409 of a second record for one INS. Whoever may read the existing record is told which it is; anyone else
 * gets a neutral answer that does not reveal whether, or where, that person has a record.
 */
export async function insConflictError(tx: Statements, found: InsClaimConflict, readPredicate: Sql): Promise<FhirError> {
  const { rows } = await tx.query(sql`SELECT 1 FROM resource r WHERE r.type = 'Patient' AND r.id = ${found.holder} AND NOT r.deleted AND ${readPredicate}`);
  if (rows.length) {
    const error = conflict(`Patient/${found.holder} already carries the INS ${found.ins}: one record per INS (update that record instead)`);
    error.outcome.issue[0].details = { text: `Le dossier Patient/${found.holder} existe déjà pour cette identité (INS ${found.ins})` };
    return error;
  }
  const error = conflict('A record already exists for this identity (one record per INS)');
  error.outcome.issue[0].details = { text: 'Un dossier existe déjà pour cette identité' };
  return error;
}
