import type { Resource } from '@medplum/fhirtypes';
import { sql } from '../kernel/sql';
import type { Db } from './db';
import type { DerivedColumns } from './derived-columns';
import { WriteBehindDb } from './write-behind-db';

// The columns a write takes from the documents that govern it, read from stored (or queued) rows: `deriveColumns` reads
// the resource alone. A Binary takes its document's record, a List (or Consent) of several documents their labels, a
// Consent of one document that document's governance — each only from documents of its own record.

/** The record of a DocumentReference, queued in this write-behind batch or stored; `found: false` when there is none. */
async function documentRecord(db: Db, id: string): Promise<{ found: boolean; compartment: string | null }> {
  const queued = db instanceof WriteBehindDb ? db.queued('DocumentReference', id) : undefined;
  if (queued) return { found: true, compartment: queued.columns.compartment };
  const { rows } = await db.query<{ compartment: string | null }>(sql`SELECT compartment FROM resource WHERE type = 'DocumentReference' AND id = ${id}`);
  return rows.length ? { found: true, compartment: rows[0].compartment } : { found: false, compartment: null };
}

/**
 * A Binary governed by a DocumentReference takes that document's compartment (the queued row's, when not yet
 * written); a List of several documents takes the security codes of all of them, so that it is hidden from whoever
 * one of them is hidden from (a List of one document is governed by it: `deriveColumns`).
 */
export async function resolveColumns(db: Db, resource: Resource, derived: DerivedColumns, replacing: boolean): Promise<DerivedColumns> {
  if (derived.listedDocuments) return { ...derived, security: await listedSecurity(db, derived) };
  if (resource.resourceType === 'Consent' && derived.docId) return consentInRecord(db, derived);
  if (resource.resourceType !== 'Binary') return derived;
  const columns = replacing ? await keepGoverningDocument(db, resource.id as string, derived) : derived;
  if (!columns.docId) return columns;
  const document = await documentRecord(db, columns.docId);
  return { ...columns, compartment: document.compartment ?? columns.compartment };
}

/**
 * A Binary a document governs stays governed by it, whatever a later version's securityContext says: its masks,
 * labels and authors keep deciding who reads every version. Recomputed from the new securityContext, a PUT naming
 * the Patient (or another document of the same writer) detached the content of a document the patient had masked,
 * and every professional of the record — its older versions included — read it (attack sweep 9). The write hooks
 * refuse a token actor's update naming another document; this keeps the row governed whoever writes.
 */
export async function keepGoverningDocument(db: Db, id: string, columns: DerivedColumns): Promise<DerivedColumns> {
  const { rows } = await db.query<{ doc_id: string | null }>(sql`SELECT doc_id FROM resource WHERE type = 'Binary' AND id = ${id}`);
  const governing = rows[0]?.doc_id;
  return governing ? { ...columns, docId: governing } : columns;
}

/**
 * A Consent is governed only by a document of its own record. A mask may name any id (one that does not exist is
 * accepted and governs nothing); governed by another record's document, the mask took its labels, so a patient who
 * named an id of someone else's record learnt from his own Consent, and its trail event, vanishing whether that
 * document exists and is flagged INVISIBLE_PATIENT (attack sweep 10). Such a document now answers as a missing one.
 */
async function consentInRecord(db: Db, derived: DerivedColumns): Promise<DerivedColumns> {
  const document = await documentRecord(db, derived.docId as string);
  return !document.found || document.compartment === derived.compartment ? derived : { ...derived, docId: null };
}

/**
 * The List's (or Consent's) own security codes joined with those of the documents it lists (queued or stored) in its
 * own record: a document of another record is answered as a missing one (see consentInRecord).
 */
async function listedSecurity(db: Db, columns: DerivedColumns): Promise<string[]> {
  const ids = columns.listedDocuments ?? [];
  const codes = new Set(columns.security);
  const queued = db instanceof WriteBehindDb ? db : undefined;
  for (const id of ids) {
    const row = queued?.queued('DocumentReference', id);
    if (row && row.columns.compartment === columns.compartment) for (const code of row.columns.security) codes.add(code);
  }
  const { rows } = await db.query<{ security: string[] }>(
    sql`SELECT security FROM resource WHERE type = 'DocumentReference' AND id = ANY(${ids}::text[]) AND compartment IS NOT DISTINCT FROM ${columns.compartment}`,
  );
  for (const row of rows) for (const code of row.security) codes.add(code);
  return [...codes];
}
