import type { IndexRows } from './indexer';
import { indexInserts } from './index-rows-sql';
import { join, sql, raw, type Sql } from '../kernel/sql';
import { CONTENT_TYPES, INSERT_CURRENT, type RowWrite, UPSERT_CURRENT } from './write-sql';

/** A created row as the batch writes it: always a live version with its text, index rows and optional Binary payload. */
export interface BatchRow extends RowWrite {
  text: string;
  index: IndexRows;
  /** Bytes of a Binary, stored in binary_data beside the row. */
  binary?: { contentType: string | undefined; data: Buffer };
}

/** A text[] value as a PostgreSQL array literal, so that one text[] column of a batch can carry one array per row. */
export function toArrayLiteral(values: readonly string[]): string {
  return `{${values.map((v) => `"${v.replace(/[\\"]/g, '\\$&')}"`).join(',')}}`;
}

/** The binary_data rows of the batch's Binaries; each payload stays its own (binary) parameter rather than hex in an array. */
function binaryInsert(rows: BatchRow[]): Sql | undefined {
  const values = rows.flatMap((r) => (r.binary ? [sql`(${r.id}, ${r.versionId}, ${r.binary.contentType ?? null}, ${r.binary.data})`] : []));
  if (!values.length) return undefined;
  return sql`
, bin AS (INSERT INTO binary_data (id, version_id, content_type, data) VALUES ${join(values, ', ')})`;
}

/** A DocumentReference taking the Binaries it points at under its governance (same document id and compartment). */
export interface BinaryAdoption {
  docId: string;
  compartment: string | null;
  binaryIds: string[];
}

/** Binaries a DocumentReference points at take its document id and compartment, unless another document governs them. */
export function adoptBinariesSql(a: BinaryAdoption): Sql {
  // Only a Binary that belongs to no document and no other record may be adopted: a DocumentReference pointing at
  // someone else's Binary must not pull it into its own record.
  return sql`UPDATE resource SET doc_id = ${a.docId}, compartment = ${a.compartment}
          WHERE type = 'Binary' AND id = ANY(${a.binaryIds}::text[])
            AND (doc_id = ${a.docId} OR (doc_id IS NULL AND (compartment IS NULL OR compartment IS NOT DISTINCT FROM ${a.compartment}::text)))`;
}

/**
 * One statement that writes several created rows: their current rows, index rows and Binary payloads —
 * the same rows as one buildWriteStatement per resource followed by the binary_data insert, in one round trip and one
 * executor start instead of one per resource. The rows must not replace earlier versions and must have distinct
 * (type, id): a statement may not touch the same row twice. Each JSON text is sent once and cast for `content`
 * (`CONTENT_TYPES` only).
 * An adoption runs in the same statement; like every part of it, it sees the rows as they were before the statement
 * (so it must not target a Binary of the batch).
 */
export function buildBatchWriteStatement(rows: BatchRow[], adoption?: BinaryAdoption): Sql {
  const col = <T>(pick: (r: BatchRow) => T): T[] => rows.map(pick);
  const adopt = adoption ? sql`
, adopt AS (${adoptBinariesSql(adoption)})` : undefined;
  const parts = [indexInserts(col((r) => r.index), raw('JOIN input ON input.pos = u.pos JOIN cur ON cur.type = input.type AND cur.id = input.id')), binaryInsert(rows), adopt].filter((p): p is Sql => !!p);
  let tail = raw('');
  for (const part of parts) tail = sql`${tail}${part}`;
  return sql`
WITH input AS (
  SELECT u.*, j.text::text AS text FROM unnest(${col((r) => r.type)}::text[], ${col((r) => r.id)}::text[], ${col((r) => r.versionId)}::int[],
    ${col((r) => r.lastUpdated)}::timestamptz[], ${col((r) => r.columns.compartment)}::text[], ${col((r) => r.columns.docId)}::text[],
    ${col((r) => toArrayLiteral(r.columns.security))}::text[], ${col((r) => toArrayLiteral(r.columns.authors))}::text[])
    WITH ORDINALITY AS u(type, id, version_id, last_updated, compartment, doc_id, security, authors, pos)
  -- The JSON texts travel as one JSON array, which they form as they are: a json value keeps each element's text
  -- verbatim, so nothing is escaped (a text[] literal escapes every quote of every resource).
  JOIN json_array_elements(${`[${col((r) => r.text).join(',')}]`}::json) WITH ORDINALITY AS j(text, pos) ON j.pos = u.pos
)
, cur AS (
  ${INSERT_CURRENT}
  SELECT type, id, version_id, last_updated, compartment, doc_id, security::text[], authors::text[], false, CASE WHEN type = ANY(${CONTENT_TYPES}::text[]) THEN text::jsonb END, text FROM input ORDER BY pos
${UPSERT_CURRENT}
${tail}
SELECT rid, type, id FROM cur`;
}

/**
 * Lists of several documents that list DocumentReference `docId` take again the security codes of every document they
 * list (plus their own `meta.security`), and so do Consents masking several documents (those named at the top level,
 * which the `data` index holds): run when a document's flags are set or removed (a List or Consent of one document is
 * governed by it through `doc_id` and needs nothing).
 */
export function relabelListsSql(docId: string): Sql {
  return sql`UPDATE resource l SET security = ARRAY(SELECT DISTINCT c FROM (
      SELECT jsonb_array_elements(coalesce((l.text::jsonb) -> 'meta' -> 'security', '[]'::jsonb)) ->> 'code' AS c
      UNION SELECT unnest(d.security) FROM resource d WHERE d.type = 'DocumentReference' AND d.compartment IS NOT DISTINCT FROM l.compartment AND d.id IN
        (SELECT x.target_id FROM idx_reference x WHERE x.rid = l.rid AND x.param IN ('item', 'data') AND x.target_type = 'DocumentReference')
    ) s WHERE c IS NOT NULL ORDER BY c)
    WHERE l.type IN ('List', 'Consent') AND l.doc_id IS NULL AND NOT l.deleted
      AND l.rid IN (SELECT x.rid FROM idx_reference x WHERE ((x.type = 'List' AND x.param = 'item') OR (x.type = 'Consent' AND x.param = 'data'))
        AND x.target_type = 'DocumentReference' AND x.target_id = ${docId})`;
}
