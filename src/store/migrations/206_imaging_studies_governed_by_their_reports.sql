-- ImagingStudy rows written before an imaging report's study became the report's own extracted row (commit 39d132b,
-- cda/mappers/imaging-report.ts): the importer created the study as a shared row, found or created by its DICOM
-- Study Instance UID, with no `source-document` extension. Such a row is in its record (migration 140 gave rows of
-- that era their compartment, and ImagingStudy is among its types) but is governed by no document: masking the report
-- (MASQUE_PS, INVISIBLE_PATIENT, a Consent) left its study — what was examined, when — readable by every professional
-- the record admits, and replacing the report did not retire it. This makes each one the report's, as the importer
-- now writes it: `doc_id` is the document that names it (its `context.related`, or `imagingStudy` of a DiagnosticReport
-- extracted from it) in the same record, and the `source-document` extension joins its text, so that every later write
-- derives the same `doc_id` (store/derived-columns.ts) and a client may change it only by replacing the document.
-- Only ImagingStudy was ever created that way among the patient-compartment types (the importer's other conditional
-- creates are directory entries: Practitioner, Organization).
--
-- A study several documents name (two reports on one study) can have one `doc_id`: the oldest document governs it,
-- and the security codes every other naming document carries now join its own (`security`), so a label that hides any
-- of them hides the study too (fail closed). A study no document of its record names is left as it is.
WITH naming AS (
  SELECT s.rid, d.rid AS doc_rid, d.id AS doc_id, d.security
  FROM resource s
  JOIN resource d ON d.type = 'DocumentReference' AND d.compartment = s.compartment AND NOT d.deleted AND d.text IS NOT NULL
  WHERE s.type = 'ImagingStudy' AND s.doc_id IS NULL AND s.compartment IS NOT NULL AND NOT s.deleted AND s.text IS NOT NULL
    AND EXISTS (SELECT 1 FROM jsonb_path_query(d.text::jsonb, 'lax $.context.related[*].reference') AS j(v)
      WHERE substring(j.v #>> '{}' FROM '(?:^|/)ImagingStudy/([A-Za-z0-9.-]{1,64})$') = s.id)
  UNION
  SELECT s.rid, d.rid, d.id, d.security
  FROM resource s
  JOIN resource g ON g.type = 'DiagnosticReport' AND g.compartment = s.compartment AND g.doc_id IS NOT NULL AND NOT g.deleted AND g.text IS NOT NULL
  JOIN resource d ON d.type = 'DocumentReference' AND d.id = g.doc_id AND d.compartment = s.compartment AND NOT d.deleted
  WHERE s.type = 'ImagingStudy' AND s.doc_id IS NULL AND s.compartment IS NOT NULL AND NOT s.deleted AND s.text IS NOT NULL
    AND EXISTS (SELECT 1 FROM jsonb_path_query(g.text::jsonb, 'lax $.imagingStudy[*].reference') AS j(v)
      WHERE substring(j.v #>> '{}' FROM '(?:^|/)ImagingStudy/([A-Za-z0-9.-]{1,64})$') = s.id)
), governing AS (
  SELECT n.rid,
    (array_agg(n.doc_id ORDER BY n.doc_rid))[1] AS doc_id,
    count(DISTINCT n.doc_id) AS documents,
    ARRAY(SELECT DISTINCT c FROM naming m CROSS JOIN LATERAL unnest(m.security) AS c WHERE m.rid = n.rid AND c IS NOT NULL ORDER BY c) AS codes
  FROM naming n GROUP BY n.rid
)
UPDATE resource r SET
  doc_id = g.doc_id,
  security = CASE WHEN g.documents = 1 THEN r.security
    ELSE ARRAY(SELECT DISTINCT c FROM unnest(r.security || g.codes) AS c WHERE c IS NOT NULL ORDER BY c) END,
  text = (r.text::jsonb || jsonb_build_object('extension', coalesce(
      CASE WHEN jsonb_typeof(r.text::jsonb -> 'extension') = 'array' THEN r.text::jsonb -> 'extension' END, '[]'::jsonb)
    || jsonb_build_array(jsonb_build_object(
      'url', 'https://dmp-fhir-adapter.org/fhir/StructureDefinition/source-document',
      'valueReference', jsonb_build_object('reference', 'DocumentReference/' || g.doc_id)))))::text
FROM governing g WHERE r.rid = g.rid;
