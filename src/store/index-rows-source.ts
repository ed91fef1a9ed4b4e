import { indexRowsInRow } from '../kernel/search/column-params';
import { name, raw, sql, type Sql } from '../kernel/sql';

/** The index tables by kind, and the columns of their rows besides `rid` and `type`. */
const KINDS: Record<string, { table: string; columns: string }> = {
  idx_token: { table: 'idx_token', columns: 'param text, system text, code text, text text' },
  idx_reference: { table: 'idx_reference', columns: 'param text, target_type text, target_id text' },
  idx_string: { table: 'idx_string', columns: 'param text, value text, norm text' },
  idx_date: { table: 'idx_date', columns: 'param text, low timestamptz, high timestamptz' },
  idx_quantity: { table: 'idx_quantity', columns: 'param text, value numeric, system text, code text' },
};

/**
 * Where the index rows of one `table` (`idx_token` …) of `resourceType` rows are read, as alias `x`, for the row
 * aliased `owner`: the table itself (`from`), restricted to that row (`own`); or, for a type whose rows keep their
 * index rows in themselves (`registerIndexRowsInRow`), the row's `search_rows` JSON expanded into rows of the same
 * columns, so every predicate written over `x` (token, reference, chain, `:missing`, `:not`, sort) reads them alike.
 * Used inside a subquery correlated to `owner`.
 */
export function ownIndexRows(table: string, resourceType: string, owner: Sql, x: Sql): { from: Sql; own: Sql } {
  const kind = KINDS[table];
  if (!kind) throw new Error(`unknown index table ${table}`);
  if (indexRowsInRow(resourceType)) {
    return { from: sql`jsonb_to_recordset(coalesce(${owner}.search_rows -> ${name(kind.table.slice(4))}, '[]')) AS ${x}(${raw(kind.columns)})`, own: raw('TRUE') };
  }
  return { from: sql`${raw(kind.table)} ${x}`, own: sql`${x}.rid = ${owner}.rid AND ${x}.type = ${name(resourceType)}` };
}

/**
 * Index rows of `table` of the `resourceType` rows read as `owner` in the same FROM: a join to the table, or a
 * lateral expansion of the row's `search_rows` (see `ownIndexRows`). `on` restricts them to their row and type.
 */
export function joinedIndexRows(table: string, resourceType: string, owner: Sql, x: Sql): { join: Sql; on: Sql } {
  const { from, own } = ownIndexRows(table, resourceType, owner, x);
  return indexRowsInRow(resourceType) ? { join: sql`CROSS JOIN LATERAL ${from}`, on: own } : { join: sql`JOIN ${from} ON ${own}`, on: raw('TRUE') };
}
