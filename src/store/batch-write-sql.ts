import type { IndexRows } from './indexer';
import { join, sql, raw, type Sql } from './sql';
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

type IndexTable = { name: string; columns: string; kinds: string[]; take: (index: IndexRows) => unknown[][] };

/** Each index table, the columns it receives and how one resource's rows become their values (same rows as write-sql). */
const INDEX_TABLES: IndexTable[] = [
  { name: 'idx_token', columns: 'param, system, code', kinds: ['text', 'text', 'text'], take: (i) => i.tokens.map((t) => [t.param, t.system, t.code]) },
  { name: 'idx_string', columns: 'param, value, norm', kinds: ['text', 'text', 'text'], take: (i) => i.strings.map((s) => [s.param, s.value, s.norm]) },
  { name: 'idx_date', columns: 'param, low, high', kinds: ['text', 'timestamptz', 'timestamptz'], take: (i) => i.dates.map((d) => [d.param, d.low, d.high]) },
  { name: 'idx_reference', columns: 'param, target_type, target_id', kinds: ['text', 'text', 'text'], take: (i) => i.references.map((r) => [r.param, r.targetType, r.targetId]) },
  {
    name: 'idx_quantity',
    columns: 'param, value, system, code',
    kinds: ['text', 'numeric', 'text', 'text'],
    take: (i) => i.quantities.map((q) => [q.param, q.value, q.system, q.code]),
  },
];

/** Column-wise arrays of one index table for every row of the batch, each index row tagged with its resource's position. */
function indexInsert(table: IndexTable, rows: BatchRow[]): Sql | undefined {
  const owners: number[] = [];
  const columns: unknown[][] = table.kinds.map(() => []);
  rows.forEach((row, position) => {
    for (const values of table.take(row.index)) {
      owners.push(position + 1);
      values.forEach((v, c) => columns[c].push(v));
    }
  });
  if (!owners.length) return undefined;
  const names = table.kinds.map((_, c) => `c${c}`);
  let unnest = sql`${owners}::int[]`;
  columns.forEach((values, c) => (unnest = sql`${unnest}, ${values}::${raw(table.kinds[c])}[]`));
  return sql`
, ${raw(`i_${table.name}`)} AS (INSERT INTO ${raw(table.name)} (rid, type, ${raw(table.columns)})
    SELECT cur.rid, cur.type, ${raw(names.map((n) => `u.${n}`).join(', '))}
    FROM unnest(${unnest}) AS u(pos, ${raw(names.join(', '))}) JOIN input ON input.pos = u.pos JOIN cur ON cur.type = input.type AND cur.id = input.id)`;
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
  return sql`UPDATE resource SET doc_id = ${a.docId}, compartment = ${a.compartment}
          WHERE type = 'Binary' AND id = ANY(${a.binaryIds}::text[]) AND (doc_id IS NULL OR doc_id = ${a.docId})`;
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
  const parts = [...INDEX_TABLES.map((t) => indexInsert(t, rows)), binaryInsert(rows), adopt].filter((p): p is Sql => !!p);
  let tail = raw('');
  for (const part of parts) tail = sql`${tail}${part}`;
  return sql`
WITH input AS (
  SELECT * FROM unnest(${col((r) => r.type)}::text[], ${col((r) => r.id)}::text[], ${col((r) => r.versionId)}::int[],
    ${col((r) => r.lastUpdated)}::timestamptz[], ${col((r) => r.columns.compartment)}::text[], ${col((r) => r.columns.docId)}::text[],
    ${col((r) => toArrayLiteral(r.columns.security))}::text[], ${col((r) => toArrayLiteral(r.columns.authors))}::text[], ${col((r) => r.text)}::text[])
    WITH ORDINALITY AS u(type, id, version_id, last_updated, compartment, doc_id, security, authors, text, pos)
)
, cur AS (
  ${INSERT_CURRENT}
  SELECT type, id, version_id, last_updated, compartment, doc_id, security::text[], authors::text[], false, CASE WHEN type = ANY(${CONTENT_TYPES}::text[]) THEN text::jsonb END, text FROM input ORDER BY pos
${UPSERT_CURRENT}
${tail}
SELECT rid, type, id FROM cur`;
}
