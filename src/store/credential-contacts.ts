import type { Statements } from './db';
import { sql } from './sql';

/** What decides where a code that sets a record's credentials may go (`auth/credential-contacts.ts`). */
export interface ContactHistory {
  /** Every version (current and replaced) of every RelatedPerson of the record, as JSON texts. */
  relatedPersons: string[];
  /**
   * Contacts confirmed at or after `since`: the code sent to them was entered (`$confirm-contact`), or a counter
   * checked them in person. A request retired by a newer one is not among them, even for an address on the record.
   */
  confirmed: { system: string; value: string }[];
  /**
   * Contacts whose latest confirmation (any date) was asked or entered by a legal guardian: he reads that address, the
   * holder never proved he does. A later confirmation by the holder (or a counter) makes the contact his again.
   */
  guardianConfirmed: { system: string; value: string }[];
}

/**
 * Loads, in the caller's transaction, the RelatedPersons the record ever had (a parent's contact stays his after he
 * changed it on his link) and the contacts confirmed since `since`.
 */
export async function loadContactHistory(db: Statements, patientId: string, since: Date): Promise<ContactHistory> {
  const persons = await db.query<{ text: string }>(sql`
    SELECT text FROM resource WHERE type = 'RelatedPerson' AND compartment = ${patientId} AND text IS NOT NULL
    UNION ALL
    SELECT text FROM resource_history WHERE type = 'RelatedPerson' AND compartment = ${patientId} AND text IS NOT NULL`);
  const confirmed = await db.query<{ system: string; value: string }>(sql`
    SELECT contact_system AS system, contact_value AS value FROM account_code
     WHERE purpose = 'contact-change' AND patient_id = ${patientId} AND confirmed_at >= ${since.toISOString()}::timestamptz AND NOT by_guardian`);
  const byGuardian = await db.query<{ system: string; value: string; by_guardian: boolean }>(sql`
    SELECT DISTINCT ON (contact_system, contact_value) contact_system AS system, contact_value AS value, by_guardian FROM account_code
     WHERE purpose = 'contact-change' AND patient_id = ${patientId} AND confirmed_at IS NOT NULL
     ORDER BY contact_system, contact_value, confirmed_at DESC, by_guardian DESC`);
  return {
    relatedPersons: persons.rows.map((r) => r.text),
    confirmed: confirmed.rows,
    guardianConfirmed: byGuardian.rows.filter((r) => r.by_guardian).map(({ system, value }) => ({ system, value })),
  };
}
