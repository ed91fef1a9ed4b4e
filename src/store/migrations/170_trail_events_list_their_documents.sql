-- The documents a trail event names move from one `idx_reference` row per document (param `entity-document`,
-- migration 143) into one array in the event's own row, which the access predicate reads to hide from a patient (or
-- guardian) every event naming a document hidden from him. A search page of twenty documents wrote twenty index rows
-- (a heap row and three b-tree entries each) and looked up twenty rows, for every audited search: measured, that was
-- half of the database's cost of an audited search (`src/access/README.md`, "What it costs").
-- AuditEvent rows: the documents named (`doc_id` of each resource named); NULL for every other row, and for events
-- outside a patient's trail.
ALTER TABLE resource ADD COLUMN IF NOT EXISTS named_documents text[];

-- Events written before get theirs from their index rows. The append-only guard (migration 040) is lifted for this
-- statement only, as migration 120 did: the column is derived from what the event names, outside the text its chain
-- hash covers, so every chain still verifies.
ALTER TABLE resource DISABLE TRIGGER resource_audit_append_only;
UPDATE resource a SET named_documents = x.docs
FROM (SELECT rid, array_agg(DISTINCT target_id ORDER BY target_id) AS docs FROM idx_reference
      WHERE type = 'AuditEvent' AND param = 'entity-document' GROUP BY rid) x
WHERE a.rid = x.rid AND a.type = 'AuditEvent';
ALTER TABLE resource ENABLE TRIGGER resource_audit_append_only;

DELETE FROM idx_reference WHERE type = 'AuditEvent' AND param = 'entity-document';
