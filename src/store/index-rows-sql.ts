import type { IndexRows } from './indexer';
import { raw, sql, type Sql } from '../kernel/sql';

interface IndexTable {
  name: string;
  /** The columns after `rid, type`, with their SQL types. */
  columns: [string, string][];
  /** The table's rows for one resource, keyed by column, tagged with the resource's position. */
  records: (index: IndexRows, pos: number) => object[];
}

/** Each index table, the columns it receives and how one resource's rows become their values. */
const INDEX_TABLES: IndexTable[] = [
  {
    name: 'idx_token',
    columns: [['param', 'text'], ['system', 'text'], ['code', 'text']],
    records: (i, pos) => i.tokens.map((t) => ({ pos, param: t.param, system: t.system, code: t.code })),
  },
  {
    name: 'idx_string',
    columns: [['param', 'text'], ['value', 'text'], ['norm', 'text']],
    records: (i, pos) => i.strings.map((s) => ({ pos, param: s.param, value: s.value, norm: s.norm })),
  },
  {
    name: 'idx_date',
    columns: [['param', 'text'], ['low', 'timestamptz'], ['high', 'timestamptz']],
    records: (i, pos) => i.dates.map((d) => ({ pos, param: d.param, low: d.low, high: d.high })),
  },
  {
    name: 'idx_reference',
    columns: [['param', 'text'], ['target_type', 'text'], ['target_id', 'text']],
    records: (i, pos) => i.references.map((r) => ({ pos, param: r.param, target_type: r.targetType, target_id: r.targetId })),
  },
  {
    name: 'idx_quantity',
    columns: [['param', 'text'], ['value', 'numeric'], ['system', 'text'], ['code', 'text']],
    records: (i, pos) => i.quantities.map((q) => ({ pos, param: q.param, value: q.value, system: q.system, code: q.code })),
  },
];

export const INDEX_TABLE_NAMES = INDEX_TABLES.map((t) => t.name);

/**
 * The `i_<table>` CTEs inserting the index rows of one or more resources, the n-th resource's rows (from 1) as
 * `u.pos = n`; `owner` joins `u` to the `cur` row they belong to. Each table's rows travel as one JSON parameter:
 * JSON.stringify is one native call, where a text[] per column escapes every element in JavaScript.
 */
export function indexInserts(indexes: IndexRows[], owner: Sql): Sql {
  let out = raw('');
  for (const table of INDEX_TABLES) {
    const records = indexes.flatMap((index, position) => table.records(index, position + 1));
    if (!records.length) continue;
    const names = table.columns.map(([name]) => name).join(', ');
    const definition = table.columns.map(([name, kind]) => `${name} ${kind}`).join(', ');
    out = sql`${out}
, ${raw(`i_${table.name}`)} AS (INSERT INTO ${raw(table.name)} (rid, type, ${raw(names)})
    SELECT cur.rid, cur.type, ${raw(table.columns.map(([name]) => `u.${name}`).join(', '))}
    FROM json_to_recordset(${JSON.stringify(records)}::json) AS u(pos int, ${raw(definition)}) ${owner})`;
  }
  return out;
}
