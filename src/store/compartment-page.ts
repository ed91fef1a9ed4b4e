import { and, raw, sql, type Sql } from '../kernel/sql';
import type { Db } from './db';
import { countRows, readKeysetPage, type SortKey } from './keyset-paging';
import { toStored, type StoredResource } from './stored-row';

/** What `Patient/{id}/$everything` asks for: the record's resources, of some types, from an instant, one page. */
export interface CompartmentQuery {
  patientId: string;
  types?: string[];
  /** Only resources last written at or after this instant (ISO). */
  since?: string;
  count: number;
  cursor?: string;
}

const COLUMNS = raw('r.rid, r.type, r.id, r.version_id, r.last_updated, r.compartment, r.deleted, r.text');
const SOURCE = raw('resource r');
const KEYS: SortKey[] = [
  { expr: raw('r.type'), descending: false, cast: 'text' },
  { expr: raw('r.id'), descending: false, cast: 'text' },
];

/**
 * One page of a patient's compartment in (type, id) order, with the total: the access predicate is in the page's and
 * the count's WHERE, so a masked document, its Binary and what was extracted from it never appear nor count.
 */
export async function readCompartmentPage(
  db: Db,
  access: Sql,
  query: CompartmentQuery,
): Promise<{ resources: StoredResource[]; total: number; next?: string }> {
  const filters: Sql[] = [sql`r.compartment = ${query.patientId}`, raw('NOT r.deleted'), access];
  if (query.types) filters.push(sql`r.type = ANY(${query.types}::text[])`);
  if (query.since) filters.push(sql`r.last_updated >= ${query.since}::timestamptz`);
  const where = and(filters);
  // The scope ties a cursor to the record: another record's cursor is refused, not read as a position here.
  const scope = { kind: 'everything' as const, shape: `Patient/${query.patientId}` };
  const page = await readKeysetPage<Parameters<typeof toStored>[0]>(db, {
    columns: COLUMNS, source: SOURCE, where, keys: KEYS, count: query.count, cursor: query.cursor, scope,
  });
  const resources = page.rows.map(toStored);
  const total = !query.cursor && !page.hasMore ? resources.length : await countRows(db, SOURCE, where);
  return { resources, total, next: page.next };
}
