-- A Consent is governed only by documents of its own record (issue 11, attack sweep 10). A mask may name any id: one
-- that does not exist is accepted and governs nothing. Governed by another record's document, the mask took that
-- document's labels, so a patient who named an id of someone else's record saw his own Consent, and the trail event of
-- its creation, vanish when that document exists and is flagged INVISIBLE_PATIENT: an oracle on other records'
-- documents. Written rows are governed so at write (store/governing-columns.ts `consentInRecord`, `listedSecurity`); this
-- gives the rule to the Consents written before (migration 171 took every document named, in any record).
UPDATE resource c SET doc_id = NULL
WHERE c.type = 'Consent' AND c.doc_id IS NOT NULL
  AND EXISTS (SELECT 1 FROM resource d WHERE d.type = 'DocumentReference' AND d.id = c.doc_id AND d.compartment IS DISTINCT FROM c.compartment);

-- A Consent of several documents: its own codes joined with those of the documents it names in its own record only.
WITH named AS (
  SELECT r.rid, array_agg(DISTINCT d.id ORDER BY d.id) AS docs
  FROM resource r
  CROSS JOIN LATERAL jsonb_path_query(r.text::jsonb, 'lax $.provision.**.data.reference.reference') AS j(v)
  CROSS JOIN LATERAL (SELECT substring(j.v #>> '{}' FROM '(?:^|/)DocumentReference/([A-Za-z0-9.-]{1,64})$') AS id) d
  WHERE r.type = 'Consent' AND NOT r.deleted AND r.text IS NOT NULL AND r.doc_id IS NULL AND d.id IS NOT NULL
  GROUP BY r.rid
)
UPDATE resource r SET security = ARRAY(SELECT DISTINCT c FROM (
    SELECT jsonb_array_elements(coalesce(r.text::jsonb -> 'meta' -> 'security', '[]'::jsonb)) ->> 'code' AS c
    UNION SELECT unnest(doc.security) FROM resource doc
      WHERE doc.type = 'DocumentReference' AND doc.id = ANY(n.docs) AND doc.compartment IS NOT DISTINCT FROM r.compartment
  ) s WHERE c IS NOT NULL ORDER BY c)
FROM named n WHERE r.rid = n.rid AND cardinality(n.docs) > 1;
