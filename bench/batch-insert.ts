import type { FilledRow } from './templates';
import { sql, type Sql } from '../src/store/sql';

/** A filled row with the rid the seeder assigned to it. */
export interface BatchRow {
  rid: number;
  id: string;
  row: FilledRow;
}

const NEEDS_ESCAPE = /["\\]/;

/**
 * A PostgreSQL array literal, built here because node-pg's generic array serialisation was measured at ~300 µs
 * per seeded document (most of the seeding time); ours costs a few µs.
 */
export function arrayLiteral(values: readonly (string | number | null)[]): string {
  let out = '{';
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (i) out += ',';
    if (v === null) out += 'NULL';
    else if (typeof v === 'number') out += String(v);
    else out += NEEDS_ESCAPE.test(v) ? `"${v.replace(/["\\]/g, '\\$&')}"` : `"${v}"`;
  }
  return `${out}}`;
}

/**
 * One statement writing a batch of version-1 resources of one type: current rows, history rows and every index
 * row, the same columns `buildWriteStatement` (src/store/write-sql.ts) writes for one resource, but for
 * thousands of rows through `unnest` of bound array literals.
 */
export function buildBatchInsert(type: string, batch: BatchRow[]): Sql {
  const r = { rid: [] as number[], id: [] as string[], lu: [] as string[], comp: [] as (string | null)[], doc: [] as (string | null)[], sec: [] as string[], auth: [] as string[], text: [] as string[] };
  const tok = { rid: [] as number[], p: [] as string[], s: [] as (string | null)[], c: [] as (string | null)[] };
  const str = { rid: [] as number[], p: [] as string[], v: [] as string[], n: [] as string[] };
  const dat = { rid: [] as number[], p: [] as string[], l: [] as string[], h: [] as string[] };
  const ref = { rid: [] as number[], p: [] as string[], t: [] as string[], i: [] as string[] };
  const qty = { rid: [] as number[], p: [] as string[], v: [] as number[], s: [] as (string | null)[], c: [] as (string | null)[] };
  for (const { rid, id, row } of batch) {
    r.rid.push(rid); r.id.push(id); r.lu.push(row.lastUpdated); r.comp.push(row.columns.compartment); r.doc.push(row.columns.docId);
    r.sec.push(arrayLiteral(row.columns.security)); r.auth.push(arrayLiteral(row.columns.authors)); r.text.push(row.text);
    for (const t of row.index.tokens) { tok.rid.push(rid); tok.p.push(t.param); tok.s.push(t.system); tok.c.push(t.code); }
    for (const s of row.index.strings) { str.rid.push(rid); str.p.push(s.param); str.v.push(s.value); str.n.push(s.norm); }
    for (const d of row.index.dates) { dat.rid.push(rid); dat.p.push(d.param); dat.l.push(d.low); dat.h.push(d.high); }
    for (const x of row.index.references) { ref.rid.push(rid); ref.p.push(x.param); ref.t.push(x.targetType); ref.i.push(x.targetId); }
    for (const q of row.index.quantities) { qty.rid.push(rid); qty.p.push(q.param); qty.v.push(q.value); qty.s.push(q.system); qty.c.push(q.code); }
  }
  return sql`
WITH cur AS (
  INSERT INTO resource (rid, type, id, version_id, last_updated, compartment, doc_id, security, authors, deleted, content, text)
  SELECT u.rid, ${type}, u.id, 1, u.lu, u.comp, u.doc, u.sec::text[], u.auth::text[], false, j.elem::jsonb, j.elem::text
  FROM unnest(${arrayLiteral(r.rid)}::bigint[], ${arrayLiteral(r.id)}::text[], ${arrayLiteral(r.lu)}::timestamptz[], ${arrayLiteral(r.comp)}::text[], ${arrayLiteral(r.doc)}::text[], ${arrayLiteral(r.sec)}::text[], ${arrayLiteral(r.auth)}::text[]) WITH ORDINALITY AS u(rid, id, lu, comp, doc, sec, auth, ord)
  -- The texts travel as one JSON array: the json type keeps each element's text verbatim, so no escaping in JS.
  JOIN json_array_elements(${`[${r.text.join(',')}]`}::json) WITH ORDINALITY AS j(elem, ord) ON j.ord = u.ord
  RETURNING rid, type, id, version_id, last_updated, compartment, deleted, content, text
)
, i_token AS (INSERT INTO idx_token (rid, type, param, system, code)
  SELECT u.rid, ${type}, u.p, u.s, u.c FROM unnest(${arrayLiteral(tok.rid)}::bigint[], ${arrayLiteral(tok.p)}::text[], ${arrayLiteral(tok.s)}::text[], ${arrayLiteral(tok.c)}::text[]) AS u(rid, p, s, c))
, i_string AS (INSERT INTO idx_string (rid, type, param, value, norm)
  SELECT u.rid, ${type}, u.p, u.v, u.n FROM unnest(${arrayLiteral(str.rid)}::bigint[], ${arrayLiteral(str.p)}::text[], ${arrayLiteral(str.v)}::text[], ${arrayLiteral(str.n)}::text[]) AS u(rid, p, v, n))
, i_date AS (INSERT INTO idx_date (rid, type, param, low, high)
  SELECT u.rid, ${type}, u.p, u.l, u.h FROM unnest(${arrayLiteral(dat.rid)}::bigint[], ${arrayLiteral(dat.p)}::text[], ${arrayLiteral(dat.l)}::timestamptz[], ${arrayLiteral(dat.h)}::timestamptz[]) AS u(rid, p, l, h))
, i_ref AS (INSERT INTO idx_reference (rid, type, param, target_type, target_id)
  SELECT u.rid, ${type}, u.p, u.t, u.i FROM unnest(${arrayLiteral(ref.rid)}::bigint[], ${arrayLiteral(ref.p)}::text[], ${arrayLiteral(ref.t)}::text[], ${arrayLiteral(ref.i)}::text[]) AS u(rid, p, t, i))
, i_qty AS (INSERT INTO idx_quantity (rid, type, param, value, system, code)
  SELECT u.rid, ${type}, u.p, u.v, u.s, u.c FROM unnest(${arrayLiteral(qty.rid)}::bigint[], ${arrayLiteral(qty.p)}::text[], ${arrayLiteral(qty.v)}::numeric[], ${arrayLiteral(qty.s)}::text[], ${arrayLiteral(qty.c)}::text[]) AS u(rid, p, v, s, c))
SELECT count(*)::int AS n FROM cur`;
}

/** Number of index rows a batch writes (for the seeding rate). */
export function indexRowCount(batch: BatchRow[]): number {
  let n = 0;
  for (const { row } of batch) {
    const i = row.index;
    n += i.tokens.length + i.strings.length + i.dates.length + i.references.length + i.quantities.length;
  }
  return n;
}
