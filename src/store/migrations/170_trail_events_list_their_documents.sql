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
-- Statistics first: taken before any trail was written, they can say there is no AuditEvent and no such index row, and
-- a plan built on that rescanned the index rows once per event (minutes for 100,000 events). Each event then reads
-- its own rows through `idx_reference_rid`, whatever the plan of the outer scan.
ANALYZE resource;
ANALYZE idx_reference;
ALTER TABLE resource DISABLE TRIGGER resource_audit_append_only;
UPDATE resource a SET named_documents = ARRAY(SELECT DISTINCT x.target_id FROM idx_reference x
    WHERE x.rid = a.rid AND x.type = 'AuditEvent' AND x.param = 'entity-document' ORDER BY 1)
WHERE a.type = 'AuditEvent'
  AND EXISTS (SELECT 1 FROM idx_reference x WHERE x.rid = a.rid AND x.type = 'AuditEvent' AND x.param = 'entity-document');
ALTER TABLE resource ENABLE TRIGGER resource_audit_append_only;

DELETE FROM idx_reference WHERE type = 'AuditEvent' AND param = 'entity-document';
