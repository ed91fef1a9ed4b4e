import { raw } from './sql';

/** Types whose rows are never changed after version 1, stored without a `resource_history` row. */
export const CURRENT_ONLY_TYPES = ['AuditEvent'];

/**
 * Every stored version, as `h` with the columns of `resource_history`: the history table, plus the current
 * rows of `CURRENT_ONLY_TYPES` (their single version). Filters on `h` reach both branches.
 */
export const HISTORY_SOURCE = raw(`(
  SELECT rid, type, id, version_id, last_updated, compartment, deleted, text FROM resource_history
    WHERE type <> ALL('{${CURRENT_ONLY_TYPES.join(',')}}'::text[])
  UNION ALL
  SELECT rid, type, id, version_id, last_updated, compartment, deleted, text FROM resource
    WHERE type = ANY('{${CURRENT_ONLY_TYPES.join(',')}}'::text[])
)`);
