import { createHash } from 'node:crypto';
import { badRequest } from '../kernel/errors';
import { DEFAULT_COUNT, MAX_COUNT } from '../kernel/search/types';
import { and, join, or, raw, sql, type Sql } from '../kernel/sql';
import type { Db } from './db';

// The one keyset paging of the store: searches, `_history` and `$everything` page through it. A page is "the rows
// after (or before) the last key seen, in the sort order", so it stays stable while data is added, and every page
// runs the same WHERE (the access predicate included): a cursor only chooses a position in the order, it can never
// widen what the caller sees. That is why cursors are validated, not signed: a forged one gives at most another page
// of what the caller may already read. Validation is still strict, because the cursor's values are cast in SQL and a
// value PostgreSQL cannot cast ('tomorrow'::timestamptz, a NUL in text) would otherwise be a 5xx: anything but a
// cursor this server issued for the same query answers 400.

/** A sort key: an expression over the paged rows, its direction, and the type its text form is cast back to. */
export interface SortKey {
  expr: Sql;
  descending: boolean;
  cast: 'timestamptz' | 'text' | 'numeric' | 'integer';
}

/** What a cursor belongs to: the paging (`search`, `history`, `everything`) and the query's shape (type, sort, path). */
export interface CursorScope {
  kind: 'search' | 'history' | 'everything';
  shape: string;
}

/** A decoded cursor: the keys of the row it stands after (or before, going back). */
export interface PageCursor {
  keys: string[];
  backwards: boolean;
}

/** One page: its rows in order, and the cursors of the next and previous pages when they exist. */
export interface KeysetPage<T> {
  rows: T[];
  /** True when there are rows beyond this page in the direction read. */
  hasMore: boolean;
  next?: string;
  previous?: string;
}

interface Encoded { s: string; k: string[]; d: 'n' | 'p' }

const MAX_CURSOR_LENGTH = 4096;
const MAX_KEY_LENGTH = 1024;
const TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(\.\d{1,6})?([+-]\d{2}(?::?\d{2}){0,2}|Z)?$/;
const NUMERIC = /^-?\d{1,300}(\.\d{1,300})?$/;
const INTEGER = /^\d{1,9}$/;

/** The `_count` of a request: a non-negative integer (400 otherwise), at most MAX_COUNT; `min` raises 0 when needed. */
export function parsePageSize(value: string | undefined, options: { min?: number } = {}): number {
  if (value !== undefined && !/^\d{1,9}$/.test(value)) throw badRequest(`_count must be a non-negative integer, not "${value.slice(0, 40)}"`);
  const count = value === undefined ? DEFAULT_COUNT : Number(value);
  return Math.max(options.min ?? 0, Math.min(count, MAX_COUNT));
}

/** The cursor of a page boundary, for a next or previous link. */
export function encodeCursor(scope: CursorScope, keys: string[], backwards = false): string {
  const encoded: Encoded = { s: scopeTag(scope), k: keys, d: backwards ? 'p' : 'n' };
  return Buffer.from(JSON.stringify(encoded)).toString('base64url');
}

/** Decodes a `_cursor`: 400 unless it was issued for this scope, with one well-formed value per key. */
export function decodeCursor(token: string, scope: CursorScope, keys: readonly SortKey[]): PageCursor {
  const refuse = () => badRequest(`Invalid _cursor: use the next/previous links of a ${scope.kind} result`);
  if (token.length > MAX_CURSOR_LENGTH || !/^[A-Za-z0-9_-]+$/.test(token)) throw refuse();
  let c: Partial<Encoded>;
  try {
    c = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as Partial<Encoded>;
  } catch {
    throw refuse();
  }
  if (!c || typeof c !== 'object' || c.s !== scopeTag(scope) || (c.d !== 'n' && c.d !== 'p')) throw refuse();
  if (!Array.isArray(c.k) || c.k.length !== keys.length || !c.k.every((v, i) => isKeyValue(v, keys[i].cast))) throw refuse();
  return { keys: c.k, backwards: c.d === 'p' };
}

/**
 * Reads one page: `SELECT columns FROM source WHERE where AND <after the cursor> ORDER BY keys LIMIT count + 1`, the
 * extra row telling whether more follow. The keys are selected as text (`k0`, `k1` …) to build the cursors.
 */
export async function readKeysetPage<T extends object>(
  db: Db,
  query: { columns: Sql; source: Sql; where: Sql; keys: readonly SortKey[]; count: number; cursor?: string; scope: CursorScope; backLinks?: boolean },
): Promise<KeysetPage<T>> {
  const { keys, count, scope } = query;
  const cursor = query.cursor ? decodeCursor(query.cursor, scope, keys) : undefined;
  const backwards = cursor?.backwards ?? false;
  const position = cursor ? keysetPredicate(keys, cursor.keys, !backwards) : raw('TRUE');
  const keyColumns = join(keys.map((k, i) => sql`(${k.expr})::text AS ${raw(`k${i}`)}`), ', ');
  const { rows } = await db.query<T & Record<string, string>>(
    sql`SELECT ${query.columns}, ${keyColumns} FROM ${query.source} WHERE ${query.where} AND ${position}
        ${orderBy(keys, backwards)} LIMIT ${count + 1}`,
  );
  const hasMore = rows.length > count;
  const page = rows.slice(0, count);
  if (backwards) page.reverse();
  const keysOf = (row: Record<string, string>): string[] => keys.map((_, i) => row[`k${i}`]);
  const result: KeysetPage<T> = { rows: page, hasMore };
  if (page.length) {
    if (backwards || hasMore) result.next = encodeCursor(scope, keysOf(page[page.length - 1]));
    if (query.backLinks && (backwards ? hasMore : !!cursor)) result.previous = encodeCursor(scope, keysOf(page[0]), true);
  } else if (cursor && query.backLinks && !backwards) {
    // Past the end: offer the way back.
    result.previous = encodeCursor(scope, cursor.keys, true);
  }
  return result;
}

/** `count(*)` of the rows a paged query reads (the same WHERE, so the total never counts what a page would hide). */
/**
 * The total of a search and the patient records whose rows it counted (`r.compartment`, null for rows of none): a
 * count tells something of each record counted (`Observation?subject:Patient.identifier=<INS>&code=…&_summary=count`
 * answers whether that patient has such a result), so each of them is an access filed in that record's trail
 * (attack sweep 12b). One statement, as the plain count was.
 */
export async function countRowsByCompartment(db: Db, source: Sql, where: Sql): Promise<{ total: number; compartments: (string | null)[] }> {
  const { rows } = await db.query<{ compartment: string | null; n: number }>(sql`SELECT r.compartment, count(*)::int AS n FROM ${source} WHERE ${where} GROUP BY r.compartment`);
  return { total: rows.reduce((sum, row) => sum + Number(row.n), 0), compartments: rows.map((row) => row.compartment) };
}

export async function countRows(db: Db, source: Sql, where: Sql): Promise<number> {
  const { rows } = await db.query<{ n: number }>(sql`SELECT count(*)::int AS n FROM ${source} WHERE ${where}`);
  return rows[0].n;
}

/**
 * Rows strictly after (or before) a position in the sort order. Keys of one direction compare as one row value,
 * which PostgreSQL reads as a single index range; mixed directions need the lexicographic OR of ANDs.
 */
function keysetPredicate(keys: readonly SortKey[], values: string[], after: boolean): Sql {
  const value = (i: number) => sql`${values[i]}::${raw(keys[i].cast)}`;
  if (keys.every((k) => k.descending === keys[0].descending)) {
    const forward = keys[0].descending ? !after : after;
    return sql`(${join(keys.map((k) => k.expr), ', ')}) ${raw(forward ? '>' : '<')} (${join(keys.map((_, i) => value(i)), ', ')})`;
  }
  const alternatives: Sql[] = [];
  for (let i = 0; i < keys.length; i++) {
    const parts: Sql[] = [];
    for (let j = 0; j < i; j++) parts.push(sql`${keys[j].expr} = ${value(j)}`);
    const forward = keys[i].descending ? !after : after;
    parts.push(sql`${keys[i].expr} ${raw(forward ? '>' : '<')} ${value(i)}`);
    alternatives.push(and(parts));
  }
  return or(alternatives);
}

function orderBy(keys: readonly SortKey[], reverse: boolean): Sql {
  return sql`ORDER BY ${join(keys.map((k) => sql`${k.expr}${raw(k.descending !== reverse ? ' DESC' : ' ASC')}`), ', ')}`;
}

/** A short tag of the scope, so that a cursor of another query (another type, sort or record) is refused. */
function scopeTag(scope: CursorScope): string {
  return `${scope.kind}:${createHash('sha256').update(scope.shape).digest('base64url').slice(0, 16)}`;
}

/** Whether a cursor value is one PostgreSQL casts to the key's type without error (else the cursor is refused). */
function isKeyValue(value: unknown, cast: SortKey['cast']): boolean {
  if (typeof value !== 'string' || value.length > MAX_KEY_LENGTH || value.includes('\u0000')) return false;
  switch (cast) {
    case 'text': return true;
    case 'integer': return INTEGER.test(value);
    case 'numeric': return NUMERIC.test(value);
    case 'timestamptz': return value === 'infinity' || value === '-infinity' || isTimestamp(value);
  }
}

/** A timestamp as PostgreSQL writes one (`2026-12-06 07:02:20.123+00`), with a real calendar date and time. */
function isTimestamp(value: string): boolean {
  const m = TIMESTAMP.exec(value);
  if (!m) return false;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number);
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day); // not Date.UTC, which reads years below 100 as 19xx
  return year >= 1 && date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day
    && hour < 24 && minute < 60 && second < 60;
}
