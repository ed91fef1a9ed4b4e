import type { Statements } from '../store/db';
import { sql } from '../store/sql';
import { WriteTransaction } from '../store/write-transaction';

/**
 * What a transaction's write decisions read from the access tables (does the record exist, is it open or closed, may
 * this actor write into it), remembered for the rest of the transaction: an import of 18 resources into one record
 * asked the same three questions 18 times. Only a write of a type that changes the access tables (Consent, Patient,
 * RelatedPerson: `applyAccessWrite`, the record-closure hooks) can change the answers, and such a write forgets them
 * (`forgetAccessFacts`), so every decision still sees what a fresh look-up would. Only inside a repository transaction
 * (the WriteTransaction the hooks are given, one per transaction): elsewhere every call looks up.
 */
const memos = new WeakMap<WriteTransaction, Map<string, Promise<unknown>>>();

/** Types whose writes change what the access tables say about a record. */
export const ACCESS_CHANGING_TYPES: ReadonlySet<string> = new Set(['Consent', 'Patient', 'RelatedPerson']);

export function accessFact<T>(tx: Statements, key: string, load: () => Promise<T>): Promise<T> {
  if (!(tx instanceof WriteTransaction)) return load();
  let memo = memos.get(tx);
  if (!memo) memos.set(tx, (memo = new Map()));
  const known = memo.get(key) as Promise<T> | undefined;
  if (known) return known;
  const loading = load();
  memo.set(key, loading);
  // A failed look-up is not an answer: the next decision asks again.
  loading.catch(() => memos.get(tx)?.delete(key));
  return loading;
}

/** Forgets what this transaction learnt from the access tables (a write that may change them is under way). */
export function forgetAccessFacts(tx: WriteTransaction): void {
  memos.delete(tx);
}

/** What the access tables say of a record: it exists, it has an opening consent, it is closed. */
export interface RecordState {
  exists: boolean;
  open: boolean;
  closed: boolean;
}

/** The record's state, one statement per record and transaction (the compartment tie and the write rules both ask). */
export function loadRecordState(tx: Statements, patientId: string): Promise<RecordState> {
  return accessFact(tx, `record-state:${patientId}`, async () => (await tx.query<RecordState>(sql`SELECT
      EXISTS (SELECT 1 FROM access_record WHERE patient_id = ${patientId}) AS exists,
      EXISTS (SELECT 1 FROM access_consent WHERE patient_id = ${patientId} AND kind = 'open') AS open,
      EXISTS (SELECT 1 FROM access_record WHERE patient_id = ${patientId} AND closed) AS closed`)).rows[0]);
}
