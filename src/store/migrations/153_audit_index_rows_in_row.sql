-- Index rows kept in the resource's own row, for the types that declare it (`registerIndexRowsInRow`: AuditEvent). A
-- JSON object of arrays named by index table kind (`token`, `reference` …), each element holding the columns of one
-- index row but `rid` and `type`; searches expand it (`store/index-rows-source.ts`) instead of reading `idx_*`. Every
-- audited read writes an event: its `action`, `purpose` and `agent` rows cost three heap rows and eight b-tree entries
-- in the index tables, in the column nothing more than the row's own bytes. The trail is always read within one
-- record (its reader is the patient), through `resource_compartment`: no index on the column.
ALTER TABLE resource ADD COLUMN IF NOT EXISTS search_rows jsonb;

-- Events written before get theirs from their index rows (only the parameters the trail searches: migration 143's
-- `entity-document` rows are migration 170's to move, whichever runs first). The append-only guard (migration 040) is
-- lifted for this statement only, as migrations 120 and 170 did: the column lies outside the text the chain hash covers,
-- so every chain still verifies.
ANALYZE resource;
ANALYZE idx_token;
ANALYZE idx_reference;
ALTER TABLE resource DISABLE TRIGGER resource_audit_append_only;
UPDATE resource a SET search_rows = jsonb_build_object(
    'token', coalesce((SELECT jsonb_agg(jsonb_build_object('param', t.param, 'system', t.system, 'code', t.code, 'text', t.text))
      FROM idx_token t WHERE t.rid = a.rid AND t.type = 'AuditEvent' AND t.param IN ('action', 'purpose')), '[]'::jsonb),
    'reference', coalesce((SELECT jsonb_agg(jsonb_build_object('param', x.param, 'target_type', x.target_type, 'target_id', x.target_id))
      FROM idx_reference x WHERE x.rid = a.rid AND x.type = 'AuditEvent' AND x.param = 'agent'), '[]'::jsonb))
WHERE a.type = 'AuditEvent';
ALTER TABLE resource ENABLE TRIGGER resource_audit_append_only;

DELETE FROM idx_token WHERE type = 'AuditEvent' AND param IN ('action', 'purpose');
DELETE FROM idx_reference WHERE type = 'AuditEvent' AND param = 'agent';
