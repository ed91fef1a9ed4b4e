/** Columns of `resource` that can answer a search parameter instead of index rows. */
export type ParamColumn = 'last_updated' | 'compartment';

const columns = new Map<string, ParamColumn>();

/**
 * Declares that `resourceType`'s parameter `code` is answered from a column of its row, and so has no index
 * rows: `last_updated` for a date the row is stamped with, `compartment` for the Patient whose record holds it.
 * The module that writes such rows declares it (the audit trail: an AuditEvent's `date` is when it was
 * recorded, its `patient` its compartment; two index rows less for every audited read).
 */
export function registerColumnParam(resourceType: string, code: string, column: ParamColumn): void {
  columns.set(`${resourceType}.${code}`, column);
}

export function columnParam(resourceType: string, code: string): ParamColumn | undefined {
  return columns.get(`${resourceType}.${code}`);
}

const inRow = new Set<string>();

/**
 * Declares that `resourceType`'s index rows are kept in its own row (`resource.search_rows`, migration 153: a JSON
 * object of arrays named by index table kind — `token`, `reference` … — holding each row's columns but `rid` and
 * `type`), not in the `idx_*` tables. For a type written far more than it is searched, and always searched within one
 * record (the audit trail: every audited read writes an event, its reader is the record's patient): an event's
 * three index rows in the tables cost three heap rows and eight b-tree entries on every read, the column none.
 */
export function registerIndexRowsInRow(resourceType: string): void {
  inRow.add(resourceType);
}

export function indexRowsInRow(resourceType: string): boolean {
  return inRow.has(resourceType);
}
