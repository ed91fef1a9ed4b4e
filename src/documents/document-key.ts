import type { DocumentReference, Identifier } from '@medplum/fhirtypes';
import type { Hooks, WriteEvent } from '../fhir/context';
import { FhirError, conflict } from '../fhir/errors';
import type { Statements } from '../store/db';
import type { WriteTransaction } from '../store/write-transaction';
import { sql } from '../store/sql';

/**
 * The canonical id of a document, whatever way its masterIdentifier writes it: `urn:ietf:rfc:3986|urn:oid:1.2.3` and a
 * CDA `<id root="1.2.3"/>` give `urn:oid:1.2.3`; `urn:oid:1.2.3|ABC` and `urn:ietf:rfc:3986|urn:oid:1.2.3^ABC` (the XDS
 * uniqueId `root^extension`) give `urn:oid:1.2.3^ABC`; another system gives `<system>|<value>`. Migration 180 computes
 * the same key in SQL.
 */
export function documentKey(id: Identifier | undefined): string | undefined {
  if (!id?.system || !id.value) return undefined;
  if (id.system === 'urn:ietf:rfc:3986') return id.value;
  if (id.system.startsWith('urn:oid:')) return `${id.system}^${id.value}`;
  return `${id.system}|${id.value}`;
}

/** The DocumentReference holding a document id, if any (a system look-up: the id is the document's, not the caller's view). */
export async function documentHolding(db: Statements, key: string): Promise<string | undefined> {
  const { rows } = await db.query<{ document_id: string }>(sql`SELECT document_id FROM document_master WHERE key = ${key}`);
  return rows[0]?.document_id;
}

/**
 * The 409 of a document id already filed, saying nothing of the filed document (its record, its content): the answer
 * to a write that would file it twice, and to a re-submission by a caller who does not know the filed document.
 */
export const filedOnce = (key: string): FhirError =>
  conflict(`Document ${key} is already in the DMP: a document id is filed once (send a replacement, relatesTo replaces, to change it)`);

/** A write that would give a second DocumentReference to a document id already held by another. */
export class DuplicateDocumentError extends FhirError {
  constructor(readonly key: string, readonly holder: string) {
    super(409, filedOnce(key).outcome);
  }
}

/**
 * Keeps `document_master` (migration 180) in step with DocumentReference writes, inside their transaction: a new or
 * changed masterIdentifier claims its key; a key held by another DocumentReference → DuplicateDocumentError (409), so
 * that two concurrent submissions of one document cannot both be written (the second waits on the primary key).
 */
export function documentKeyHooks(): Hooks {
  return {
    async afterWrite(tx: WriteTransaction, _ctx, event: WriteEvent): Promise<void> {
      if (event.resourceType !== 'DocumentReference') return;
      const key = event.interaction === 'delete' ? undefined : documentKey((event.resource as DocumentReference | undefined)?.masterIdentifier);
      if (!key) {
        await tx.query(sql`DELETE FROM document_master WHERE document_id = ${event.id}`);
        return;
      }
      // One statement for the usual case (a new document claims a free key): the old keys of this DocumentReference go
      // and the new one is claimed; the two touch different keys, so neither sees the other's row.
      // document_master is no table the write-behind queue writes: the claim need not write the queued creates first.
      const { rows } = await tx.queryBeside<{ document_id: string }>(sql`
        WITH released AS (DELETE FROM document_master WHERE document_id = ${event.id} AND key <> ${key})
        INSERT INTO document_master (key, document_id) VALUES (${key}, ${event.id}) ON CONFLICT (key) DO NOTHING RETURNING document_id`);
      if (rows.length) return;
      // Held already (by this document, or by another: 409). Read in a statement of its own, so that a holder that
      // committed while our insert waited on the key is seen.
      const holder = await documentHolding(tx, key);
      if (holder !== event.id) throw new DuplicateDocumentError(key, holder ?? '?');
    },
  };
}
