-- Closed by default (issue 11): a Consent provision of a shape writes refuse (422) grants nothing, stored before or not.
-- Consents stored before attack sweeps 8 and 10 kept the grants the older code derived from such shapes: a bare permit
-- nested under a provision naming a professional or a document, and an opening « for » a purpose of another code system,
-- each stored an `open` row (the record opened to break-glass, the SAMU regulator and feeders); an authorisation nested
-- under the mask of a document, and one naming its professional in a form writes refuse that still spells a key his
-- token carries (a `type` other than Practitioner, a reference and an identifier at once), each stored a `permit` row on
-- the whole record. Migration 215 removed the grants of narrowed Consents; these stayed (225 only told the patients).
-- This removes every `open` and `permit` row that the reading of writes (`access/consent-rules.ts` `parseConsent`,
-- strict) does not derive from an active Consent of the same record, derived here provision by provision as
-- `provisionRules` does for grants. Blocks, masks and refusals of emergencies are not touched: a refused shape keeps any
-- restriction it stored (keeping a restriction never widens access). Narrowings (`unenforced`) and consents of another
-- kind are migration 215's (it removes all their grants), and a period that ends before it starts stores a grant that
-- never holds: neither is judged here. A row whose Consent is gone, withdrawn or about another record is derived by
-- nothing: it goes too. The triggers on access_consent recompute each record's summary. The patients of the Consents in
-- force that lost a grant are listed to be told (below). Why, shape by shape: src/access/README.md, « Refused shapes grant
-- nothing ».

-- `namesProfessional`: a local Practitioner/<id>, or an IdNat_PS or RPPS identifier written exactly, never both.
CREATE FUNCTION pg_temp.names_professional(ref jsonb) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
  SELECT coalesce(jsonb_typeof(ref) = 'object'
    AND (NOT ref ? 'type' OR ref -> 'type' = '"Practitioner"'::jsonb)
    AND CASE WHEN ref ? 'reference'
      THEN NOT ref ? 'identifier' AND jsonb_typeof(ref -> 'reference') = 'string'
        AND ref ->> 'reference' ~ '^Practitioner/[A-Za-z0-9.-]{1,64}(/_history/[A-Za-z0-9.-]{1,64})?$'
      ELSE jsonb_typeof(ref #> '{identifier,value}') = 'string' AND (
        (ref #> '{identifier,system}' = '"urn:oid:1.2.250.1.71.4.2.1"'::jsonb AND ref #>> '{identifier,value}' ~ '^[0-9A-Za-z/]{1,64}$')
        OR (ref #> '{identifier,system}' = '"https://rpps.esante.gouv.fr"'::jsonb AND ref #>> '{identifier,value}' ~ '^8?[0-9]{11}$'))
    END, false)
$$;

-- An element's array, or none.
CREATE FUNCTION pg_temp.items(p jsonb, name text) RETURNS jsonb LANGUAGE sql IMMUTABLE AS $$
  SELECT CASE WHEN jsonb_typeof(p -> name) = 'array' THEN p -> name ELSE '[]'::jsonb END
$$;

-- A purpose the provision cannot state (`unreadPurposeOf`): another code system, no code, or not TREAT on an
-- authorisation naming professionals / not BTG or ETREAT on a deny.
CREATE FUNCTION pg_temp.unread_purpose(p jsonb) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
  SELECT EXISTS (SELECT 1 FROM jsonb_array_elements(pg_temp.items(p, 'purpose')) pu
    WHERE (pu ? 'system' AND pu -> 'system' IS DISTINCT FROM '"http://terminology.hl7.org/CodeSystem/v3-ActReason"'::jsonb)
      OR CASE WHEN p ->> 'type' = 'permit' THEN jsonb_array_length(pg_temp.items(p, 'actor')) = 0 OR pu -> 'code' IS DISTINCT FROM '"TREAT"'::jsonb
              ELSE NOT coalesce(pu -> 'code' IN ('"BTG"'::jsonb, '"ETREAT"'::jsonb), false) END)
$$;

-- The early returns of `provisionRules`: such a provision derives nothing, nor do the provisions nested in it.
-- `documents_above`: a provision around it masks documents.
CREATE FUNCTION pg_temp.stops(p jsonb, documents_above boolean) RETURNS boolean LANGUAGE sql IMMUTABLE AS $$
  SELECT coalesce(p ->> 'type', '') NOT IN ('permit', 'deny')
    OR (jsonb_array_length(pg_temp.items(p, 'actor')) > 0 AND jsonb_array_length(pg_temp.items(p, 'data')) > 0)
    OR ((p ->> 'type' = 'permit' OR (jsonb_array_length(pg_temp.items(p, 'actor')) = 0 AND jsonb_array_length(pg_temp.items(p, 'data')) = 0))
        AND pg_temp.unread_purpose(p))
    OR (p ->> 'type' = 'deny' AND jsonb_array_length(pg_temp.items(p, 'actor')) = 0 AND jsonb_array_length(pg_temp.items(p, 'data')) = 0
        AND jsonb_array_length(pg_temp.items(p, 'purpose')) = 0)
    OR (p ->> 'type' = 'permit' AND jsonb_array_length(pg_temp.items(p, 'actor')) > 0 AND documents_above)
    OR EXISTS (SELECT 1 FROM jsonb_array_elements(pg_temp.items(p, 'actor')) a WHERE NOT pg_temp.names_professional(a -> 'reference'))
    OR EXISTS (SELECT 1 FROM jsonb_array_elements(pg_temp.items(p, 'data')) d
      WHERE p ->> 'type' <> 'deny' OR NOT coalesce(jsonb_typeof(d #> '{reference,reference}') = 'string'
        AND d #>> '{reference,reference}' ~ '^DocumentReference/[A-Za-z0-9.-]{1,64}(/_history/[A-Za-z0-9.-]{1,64})?$'
        AND (NOT (d -> 'reference') ? 'type' OR d #> '{reference,type}' = '"DocumentReference"'::jsonb), false))
$$;

CREATE TEMPORARY TABLE consent_derived_grant ON COMMIT DROP AS
WITH RECURSIVE provision(consent_id, patient_id, p, names_above, documents_above, depth) AS (
  SELECT r.id, substring(r.text::jsonb #>> '{patient,reference}' FROM '^Patient/([^/]+)$'), r.text::jsonb -> 'provision', false, false, 0
  FROM resource r
  WHERE r.type = 'Consent' AND NOT r.deleted AND r.text IS NOT NULL AND r.text::jsonb ->> 'status' = 'active'
    AND jsonb_typeof(r.text::jsonb -> 'provision') = 'object'
  UNION ALL
  SELECT pr.consent_id, pr.patient_id, n.p,
    pr.names_above OR jsonb_array_length(pg_temp.items(pr.p, 'actor')) > 0 OR jsonb_array_length(pg_temp.items(pr.p, 'data')) > 0,
    pr.documents_above OR jsonb_array_length(pg_temp.items(pr.p, 'data')) > 0,
    pr.depth + 1
  FROM provision pr CROSS JOIN LATERAL jsonb_array_elements(pg_temp.items(pr.p, 'provision')) AS n(p)
  WHERE pr.depth < 20 AND NOT pg_temp.stops(pr.p, pr.documents_above)
),
permit AS (
  SELECT * FROM provision WHERE patient_id IS NOT NULL AND p ->> 'type' = 'permit' AND NOT pg_temp.stops(p, documents_above)
)
-- The opening: a bare permit (no professional, no document, no purpose) under no provision naming someone.
SELECT consent_id, patient_id, 'open'::text AS kind, NULL::text AS actor_key
FROM permit
WHERE jsonb_array_length(pg_temp.items(p, 'actor')) = 0 AND jsonb_array_length(pg_temp.items(p, 'data')) = 0
  AND jsonb_array_length(pg_temp.items(p, 'purpose')) = 0 AND NOT names_above
UNION
-- An authorisation (its professionals named as rules match them, care its only purpose, under no masked document: the
-- rest is `stops`), in every spelling `actorReferenceKeys` derives.
SELECT pm.consent_id, pm.patient_id, 'permit', k.actor_key
FROM permit pm
CROSS JOIN LATERAL jsonb_array_elements(pg_temp.items(pm.p, 'actor')) AS a
CROSS JOIN LATERAL (
  SELECT regexp_replace(a #>> '{reference,reference}', '/_history/.*$', '') AS actor_key WHERE (a -> 'reference') ? 'reference'
  UNION ALL
  SELECT (a #>> '{reference,identifier,system}') || '|' || (a #>> '{reference,identifier,value}') WHERE NOT (a -> 'reference') ? 'reference'
  UNION ALL
  SELECT 'https://rpps.esante.gouv.fr|' || substr(a #>> '{reference,identifier,value}', 2)
  WHERE NOT (a -> 'reference') ? 'reference' AND a #>> '{reference,identifier,system}' = 'urn:oid:1.2.250.1.71.4.2.1' AND a #>> '{reference,identifier,value}' ~ '^8[0-9]{11}$'
  UNION ALL
  SELECT 'urn:oid:1.2.250.1.71.4.2.1|8' || (a #>> '{reference,identifier,value}')
  WHERE NOT (a -> 'reference') ? 'reference' AND a #>> '{reference,identifier,system}' = 'https://rpps.esante.gouv.fr'
) AS k;

CREATE TEMPORARY TABLE consent_underived_grant ON COMMIT DROP AS
SELECT ac.consent_id, ac.patient_id, ac.kind, ac.actor_key FROM access_consent ac
WHERE ac.kind IN ('open', 'permit')
  AND NOT EXISTS (SELECT 1 FROM consent_derived_grant g
    WHERE g.consent_id = ac.consent_id AND g.patient_id = ac.patient_id AND g.kind = ac.kind AND g.actor_key IS NOT DISTINCT FROM ac.actor_key);

DELETE FROM access_consent ac USING consent_underived_grant u
WHERE ac.consent_id = u.consent_id AND ac.patient_id = u.patient_id AND ac.kind = u.kind AND ac.actor_key IS NOT DISTINCT FROM u.actor_key;

-- Their patients are told (`access/consents-without-effect-notice.ts`, reason 'grants-removed', a key of its own: some
-- were told by 225's notice that such an opening applied and that they had nothing to do). Only where the list exists
-- with its reason (migrations 219 and 225): on an older database those run after this one and list these records
-- themselves (219 every record holding a Consent in force, 225 those holding a nested permit or an odd purpose); on a
-- new one there is nothing to tell. A record already listed keeps its row and is told of everything at once.
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = 'consent_review_pending' AND column_name = 'reason') THEN
    INSERT INTO consent_review_pending (patient_id, reason)
    SELECT DISTINCT u.patient_id, 'grants-removed' FROM consent_underived_grant u
    JOIN resource c ON c.type = 'Consent' AND c.id = u.consent_id AND NOT c.deleted AND c.compartment = u.patient_id
    ON CONFLICT (patient_id) DO NOTHING;
  END IF;
END $$;

DROP FUNCTION pg_temp.stops(jsonb, boolean);
DROP FUNCTION pg_temp.unread_purpose(jsonb);
DROP FUNCTION pg_temp.items(jsonb, text);
DROP FUNCTION pg_temp.names_professional(jsonb);
