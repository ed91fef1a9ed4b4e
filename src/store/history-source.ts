import { raw } from '../kernel/sql';

/**
 * Every stored version, as `h` with the columns of `resource_history`: the history table holds the versions that
 * were replaced, and `resource` the current one of each resource (most resources never change, and their single
 * version is stored once). Filters on `h` reach every branch. Current rows come in two branches, live and deleted,
 * so that a type's history newest first merges three index scans (`resource_type_updated` covers live rows only, AuditEvents excepted: migration 212).
 */
export const HISTORY_SOURCE = raw(`(
  SELECT rid, type, id, version_id, last_updated, compartment, deleted, text FROM resource_history
  UNION ALL
  SELECT rid, type, id, version_id, last_updated, compartment, deleted, text FROM resource WHERE NOT deleted
  UNION ALL
  SELECT rid, type, id, version_id, last_updated, compartment, deleted, text FROM resource WHERE deleted
)`);
