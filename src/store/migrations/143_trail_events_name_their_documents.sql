-- The access predicate hides from a patient (or guardian) every AuditEvent naming a document hidden from him, through
-- the `entity-document` reference rows the audit writer now stores with each event of a patient's trail. Events
-- written before get theirs here: each resource they name (compact form: input.resources; full JSON: entity.what)
-- that a document governs (its `doc_id`: the DocumentReference itself, its Binary, an extracted resource, its List).
INSERT INTO idx_reference (rid, type, param, target_type, target_id)
SELECT DISTINCT a.rid, 'AuditEvent', 'entity-document', 'DocumentReference', t.doc_id
FROM resource a
CROSS JOIN LATERAL (
  SELECT jsonb_array_elements_text(CASE WHEN jsonb_typeof(a.text::jsonb -> 'input' -> 'resources') = 'array'
    THEN a.text::jsonb -> 'input' -> 'resources' ELSE '[]'::jsonb END) AS ref
  UNION ALL
  SELECT e -> 'what' ->> 'reference' FROM jsonb_array_elements(CASE WHEN jsonb_typeof(a.text::jsonb -> 'entity') = 'array'
    THEN a.text::jsonb -> 'entity' ELSE '[]'::jsonb END) AS e
) refs
JOIN resource t ON t.type = split_part(refs.ref, '/', 1) AND t.id = split_part(refs.ref, '/', 2)
WHERE a.type = 'AuditEvent' AND a.compartment IS NOT NULL AND t.doc_id IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM idx_reference x WHERE x.rid = a.rid AND x.type = 'AuditEvent' AND x.param = 'entity-document');
