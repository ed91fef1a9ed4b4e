import type { Consent } from '@medplum/fhirtypes';
import type { Statements } from '../store/db';
import { HISTORY_SOURCE } from '../store/history-source';
import { sql } from '../store/sql';
import { statesOpening } from './consent-rules';

/**
 * True when the record has had an opening consent, now or in any earlier version (withdrawn by `inactive` or by
 * deletion), in any form that opens it (`statesOpening`: a nested or otherwise decorated permit too). A professional records the patient's first agreement on his behalf (and a minor's parent with it);
 * after the patient withdrew it, re-opening is the patient's decision alone.
 */
export async function wasEverOpened(tx: Statements, patientId: string): Promise<boolean> {
  const { rows } = await tx.query<{ text: string | null }>(sql`SELECT h.text FROM ${HISTORY_SOURCE} h
    WHERE h.type = 'Consent' AND h.compartment = ${patientId} AND h.text IS NOT NULL`);
  return rows.some((row) => statesOpening(JSON.parse(row.text as string) as Consent));
}
