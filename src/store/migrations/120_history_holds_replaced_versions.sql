-- resource_history keeps only the versions that were replaced; the current version of each resource lives in
-- `resource` alone (see store/history-source.ts). The copies of current versions written so far go. AuditEvents
-- had such copies before they stopped getting history rows; their current rows stay, unchanged, and the chain
-- covers those, so the append-only guard is lifted for this statement only.
ALTER TABLE resource_history DISABLE TRIGGER resource_history_audit_append_only;
DELETE FROM resource_history h USING resource r WHERE h.type = r.type AND h.id = r.id AND h.version_id = r.version_id;
ALTER TABLE resource_history ENABLE TRIGGER resource_history_audit_append_only;
-- Deleted resources' current rows (tombstones) in a type's history, newest first; live rows have resource_type_updated.
CREATE INDEX resource_deleted_type_updated ON resource (type, last_updated) WHERE deleted;
