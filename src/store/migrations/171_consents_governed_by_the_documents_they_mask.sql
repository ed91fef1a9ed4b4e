-- A Consent masking documents names them (`provision.data`, nested provisions too): it is governed by them as a List
-- of documents is (issue 11, "hidden is absent"), so that the patient never reads a mask naming an INVISIBLE_PATIENT
-- document, nor a guardian one naming an INVISIBLE_REPRESENTANTS_LEGAUX document, and neither can withdraw it. Written
-- rows take it at write (store/derived-columns.ts `consentDocuments`); this gives it to the Consents written before:
-- one named document becomes the row's `doc_id`, several join their security codes into the row's own.
WITH named AS (
  SELECT r.rid, array_agg(DISTINCT d.id ORDER BY d.id) AS docs
  FROM resource r
  CROSS JOIN LATERAL jsonb_path_query(r.text::jsonb, 'lax $.provision.**.data.reference.reference') AS j(v)
  CROSS JOIN LATERAL (SELECT substring(j.v #>> '{}' FROM '(?:^|/)DocumentReference/([A-Za-z0-9.-]{1,64})$') AS id) d
  WHERE r.type = 'Consent' AND NOT r.deleted AND r.text IS NOT NULL AND r.doc_id IS NULL AND d.id IS NOT NULL
  GROUP BY r.rid
)
UPDATE resource r SET
  doc_id = CASE WHEN cardinality(n.docs) = 1 THEN n.docs[1] END,
  security = CASE WHEN cardinality(n.docs) = 1 THEN r.security ELSE ARRAY(SELECT DISTINCT c FROM (
      SELECT unnest(r.security) AS c
      UNION SELECT unnest(doc.security) FROM resource doc WHERE doc.type = 'DocumentReference' AND doc.id = ANY(n.docs)
    ) s WHERE c IS NOT NULL ORDER BY c) END
FROM named n WHERE r.rid = n.rid;
