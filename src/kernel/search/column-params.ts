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
