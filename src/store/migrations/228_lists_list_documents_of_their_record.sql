-- A List lists documents of its own patient (issue 11, attack sweep 10): a List of record A whose entry names a
-- DocumentReference of record B is refused at write (access/named-documents.ts `assertListedDocumentsInRecord`), and
-- the read predicate no longer lets B's document's author read such a List (compile-access.ts). Lists stored before
-- the rule (or by the server) still held those entries, so A's patient and readers read B's document id in them, in
-- every version, and found the List by `item=DocumentReference/<B's id>`. The store is made to say what the rule says:
-- those entries are removed from the List, from its current row and from every version in its history, with their
-- index rows, and the columns the List's documents decide are derived again from what remains.
--
-- Removed, not hidden per reader: the entry is no fact of record A (it names what A's patient may not know exists),
-- and filtering it at each read would serve a text other than the one stored and versioned. In place, every version:
-- the entries could never have been written under the rule, and a new version would leave them readable in history.
-- A document of another record is one whose row (live or deleted) has another compartment; an id no document has is
-- kept, as the write rule keeps it.

CREATE FUNCTION dmp_228_names_other_record(reference text, record text) RETURNS boolean LANGUAGE sql STABLE AS $$
  SELECT EXISTS (SELECT 1 FROM resource d WHERE d.type = 'DocumentReference'
    AND d.id = substring(reference FROM '(?:^|/)DocumentReference/([A-Za-z0-9.-]{1,64})(?:/_history/[^/]*)?$')
    AND d.compartment IS DISTINCT FROM record)
$$;

CREATE FUNCTION dmp_228_entries(list jsonb) RETURNS SETOF jsonb LANGUAGE sql IMMUTABLE AS $$
  SELECT e FROM jsonb_array_elements(CASE WHEN jsonb_typeof(list -> 'entry') = 'array' THEN list -> 'entry' ELSE '[]'::jsonb END) AS t(e)
$$;

CREATE FUNCTION dmp_228_holds_other_record(list jsonb, record text) RETURNS boolean LANGUAGE sql STABLE AS $$
  SELECT EXISTS (SELECT 1 FROM dmp_228_entries(list) e WHERE dmp_228_names_other_record(e #>> '{item,reference}', record))
$$;

-- The List without the entries naming another record's document (no `entry` at all when none is left: FHIR has no
-- empty arrays), the others in their order.
CREATE FUNCTION dmp_228_scrubbed(list jsonb, record text) RETURNS jsonb LANGUAGE sql STABLE AS $$
  SELECT CASE WHEN s.kept IS NULL THEN list - 'entry' ELSE jsonb_set(list, '{entry}', s.kept) END
  FROM (SELECT jsonb_agg(t.e ORDER BY t.n) AS kept
        FROM jsonb_array_elements(CASE WHEN jsonb_typeof(list -> 'entry') = 'array' THEN list -> 'entry' ELSE '[]'::jsonb END) WITH ORDINALITY AS t(e, n)
        WHERE NOT dmp_228_names_other_record(t.e #>> '{item,reference}', record)) s
$$;

CREATE TEMP TABLE dmp_228_lists AS
  SELECT l.rid, l.compartment, dmp_228_scrubbed(l.text::jsonb, l.compartment) AS scrubbed
  FROM resource l
  WHERE l.type = 'List' AND l.text IS NOT NULL AND dmp_228_holds_other_record(l.text::jsonb, l.compartment);

-- Found by the List's index rows no more (`List?item=`, `_revinclude=List:item`): those naming the removed documents.
DELETE FROM idx_reference x USING dmp_228_lists s
WHERE x.rid = s.rid AND x.type = 'List' AND x.param = 'item'
  AND dmp_228_names_other_record(CASE WHEN x.target_type = '' THEN x.target_id ELSE x.target_type || '/' || x.target_id END, s.compartment);

-- The columns as derived-columns.ts derives them from what remains: a List of one document is governed by it (doc_id),
-- one of several takes their security codes beside its own (governing-columns.ts, documents of its own record only).
-- A List governed by the document it was extracted from (source-document extension) keeps that document.
WITH remaining AS (
  SELECT s.rid, s.compartment, s.scrubbed,
    s.scrubbed -> 'extension' @> '[{"url": "https://dmp-fhir-adapter.org/fhir/StructureDefinition/source-document"}]'::jsonb AS extracted,
    ARRAY(SELECT DISTINCT substring(e #>> '{item,reference}' FROM '(?:^|/)DocumentReference/([A-Za-z0-9.-]{1,64})(?:/_history/[^/]*)?$')
          FROM dmp_228_entries(s.scrubbed) e
          WHERE substring(e #>> '{item,reference}' FROM '(?:^|/)DocumentReference/([A-Za-z0-9.-]{1,64})(?:/_history/[^/]*)?$') IS NOT NULL) AS docs
  FROM dmp_228_lists s
)
UPDATE resource r SET
  text = m.scrubbed::text,
  doc_id = CASE WHEN coalesce(m.extracted, false) THEN r.doc_id WHEN cardinality(m.docs) = 1 THEN m.docs[1] ELSE NULL END,
  security = CASE WHEN coalesce(m.extracted, false) THEN r.security ELSE ARRAY(SELECT DISTINCT c FROM (
      SELECT jsonb_array_elements(coalesce(m.scrubbed -> 'meta' -> 'security', '[]'::jsonb)) ->> 'code' AS c
      UNION SELECT unnest(d.security) FROM resource d
        WHERE cardinality(m.docs) > 1 AND d.type = 'DocumentReference' AND d.id = ANY(m.docs) AND d.compartment IS NOT DISTINCT FROM m.compartment
    ) codes WHERE c IS NOT NULL ORDER BY c) END
FROM remaining m WHERE r.rid = m.rid;

-- Every earlier version (vread, _history): each judged against its own record.
UPDATE resource_history h SET text = dmp_228_scrubbed(h.text::jsonb, h.compartment)::text
WHERE h.type = 'List' AND h.text IS NOT NULL AND dmp_228_holds_other_record(h.text::jsonb, h.compartment);

DROP TABLE dmp_228_lists;
DROP FUNCTION dmp_228_scrubbed(jsonb, text);
DROP FUNCTION dmp_228_holds_other_record(jsonb, text);
DROP FUNCTION dmp_228_entries(jsonb);
DROP FUNCTION dmp_228_names_other_record(text, text);
