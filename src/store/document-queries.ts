import { raw, sql, type Sql } from '../kernel/sql';
import type { Db } from './db';
import { toStored, type Row, type StoredResource } from './stored-row';

// The document import's and metadata update's reads of DocumentReference columns (authors, set membership, what a
// document governs), each under the access predicate it is given: the SQL lives in the store, not in the handlers.

const ROW_COLUMNS = raw('r.rid, r.type, r.id, r.version_id, r.last_updated, r.compartment, r.deleted, r.text');

/**
 * The keys of a DocumentReference's authors, empty when it is missing or hidden by `access`: its `authors` column and
 * its professional writer (`access_writer`, from his token), who authors a document that names no one, as the read
 * predicate and provenance count him (issue 11).
 */
export async function readDocumentAuthors(db: Db, access: Sql, documentId: string): Promise<string[]> {
  const { rows } = await db.query<{ authors: string[] | null }>(
    sql`SELECT r.authors || coalesce((SELECT w.keys FROM access_writer w WHERE w.type = 'DocumentReference' AND w.id = r.id AND w.kind = 'practitioner'), '{}'::text[]) AS authors
      FROM resource r WHERE r.type = 'DocumentReference' AND r.id = ${documentId} AND (${access})`,
  );
  return rows[0]?.authors ?? [];
}

/** Current DocumentReferences of a record whose content contains `contains` (a JSON probe), at most `limit`. */
export async function findRecordDocuments(
  db: Db,
  access: Sql,
  query: { patientId: string; contains: string; limit: number },
): Promise<{ id: string; content: unknown }[]> {
  const { rows } = await db.query<{ id: string; content: unknown }>(
    sql`SELECT r.id, r.content FROM resource r
        WHERE r.type = 'DocumentReference' AND NOT r.deleted AND r.compartment = ${query.patientId}
          AND r.content @> ${query.contains}::jsonb AND (${access})
        LIMIT ${query.limit}`,
  );
  return rows;
}

/** Live rows governed by a DocumentReference (`doc_id`), other than documents and Binaries, visible under `access`. */
export async function readGovernedRows(db: Db, access: Sql, documentId: string): Promise<StoredResource[]> {
  const { rows } = await db.query<Row>(
    sql`SELECT ${ROW_COLUMNS} FROM resource r
        WHERE r.doc_id = ${documentId} AND r.type NOT IN ('DocumentReference', 'Binary') AND NOT r.deleted AND (${access})`,
  );
  return rows.map(toStored);
}
