import type { ScopedRepository } from '../store/scoped-repository';
import { sql } from '../store/sql';
import { statementsOf } from '../system/system-repository';

// A named system service (test/unit/architecture/system-repository.test.ts): the import's idempotency ledger is
// written on the import's own transaction, beside the resources, so a rolled-back import leaves no claim behind.

/** The idempotency key of a document: its masterIdentifier. */
export interface DocumentKey {
  system: string;
  value: string;
}

/** A resource an import created or matched, as `Type/id`. */
export type ResourceRef = string;

/** A claim already held: the bytes first imported, the resources written and the DocumentReference (once recorded). */
export type Claim = { claimed: true } | { claimed: false; sha1: string; resources: ResourceRef[]; documentReferenceId: string | null };

/**
 * Claims a document id for this transaction. A concurrent import of the same id waits on the primary key
 * until the first commits, then sees its row (so two identical imports never both write).
 */
export async function claimDocument(repo: ScopedRepository, key: DocumentKey, sha1: string, size: number): Promise<Claim> {
  const tx = statementsOf(repo);
  const inserted = await tx.query(
    sql`INSERT INTO document_intake (master_system, master_value, sha1, size) VALUES (${key.system}, ${key.value}, ${sha1}, ${size})
        ON CONFLICT DO NOTHING RETURNING 1`,
  );
  if (inserted.rows.length) return { claimed: true };
  const { rows } = await tx.query<{ sha1: string; resources: ResourceRef[] | string; document_reference_id: string | null }>(
    sql`SELECT sha1, resources, document_reference_id FROM document_intake WHERE master_system = ${key.system} AND master_value = ${key.value}`,
  );
  const resources = typeof rows[0].resources === 'string' ? (JSON.parse(rows[0].resources) as ResourceRef[]) : rows[0].resources;
  return { claimed: false, sha1: rows[0].sha1, resources, documentReferenceId: rows[0].document_reference_id };
}

/** Records what an import wrote, for the idempotent replay. */
export async function recordImport(repo: ScopedRepository, key: DocumentKey, documentReferenceId: string | undefined, resources: ResourceRef[]): Promise<void> {
  await statementsOf(repo).query(
    sql`UPDATE document_intake SET document_reference_id = ${documentReferenceId ?? null}, resources = ${JSON.stringify(resources)}::jsonb
        WHERE master_system = ${key.system} AND master_value = ${key.value}`,
  );
}
