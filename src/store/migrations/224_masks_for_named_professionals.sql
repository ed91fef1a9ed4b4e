-- A mask nested under a provision that names professionals (« Dr X authorised, except document d2 ») is an exception
-- for them: FHIR R4 Consent.provision.provision and IHE PCF read a nested provision within the provision around it. It
-- was stored as a mask for everyone (every authorised professional, break-glass and the SAMU lost the document), stricter
-- than she wrote. Such a mask is now an access_consent row of kind 'mask' carrying the professional's key
-- (`access/consent-rules.ts` `provisionRules`): the summary's `masked` keeps the masks for every professional only, and
-- `named_masks` tells the predicate that this record has masks for named professionals, which it then looks up in
-- access_consent for the caller (`access/compile-access.ts`), as `timed` does for rules with a period.
ALTER TABLE access_record ADD COLUMN IF NOT EXISTS named_masks boolean NOT NULL DEFAULT false;

DROP FUNCTION IF EXISTS access_summary_of(text);
CREATE FUNCTION access_summary_of(p text, OUT opened boolean, OUT permitted text[], OUT denied text[],
    OUT timed boolean, OUT masked text[], OUT refused text[], OUT named_masks boolean) LANGUAGE sql STABLE AS $$
  SELECT coalesce(bool_or(kind = 'open'), false),
         coalesce(array_agg(actor_key) FILTER (WHERE kind = 'permit' AND actor_key IS NOT NULL AND period_start IS NULL AND period_end IS NULL), '{}'),
         coalesce(array_agg(actor_key) FILTER (WHERE kind = 'deny' AND actor_key IS NOT NULL AND period_start IS NULL AND period_end IS NULL), '{}'),
         coalesce(bool_or(kind IN ('permit', 'deny') AND (period_start IS NOT NULL OR period_end IS NOT NULL)), false),
         coalesce(array_agg(doc_id) FILTER (WHERE kind = 'mask' AND doc_id IS NOT NULL AND actor_key IS NULL), '{}'),
         coalesce(array_agg(purpose) FILTER (WHERE kind = 'refuse' AND purpose IS NOT NULL), '{}'),
         coalesce(bool_or(kind = 'mask' AND doc_id IS NOT NULL AND actor_key IS NOT NULL), false)
    FROM access_consent WHERE patient_id = p
$$;

CREATE OR REPLACE FUNCTION access_record_summarise() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  SELECT s.opened, s.permitted, s.denied, s.timed, s.masked, s.refused, s.named_masks
    INTO NEW.opened, NEW.permitted, NEW.denied, NEW.timed, NEW.masked, NEW.refused, NEW.named_masks
    FROM access_summary_of(NEW.patient_id) s;
  RETURN NEW;
END $$;

CREATE OR REPLACE FUNCTION access_consent_resummarise() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  touched text[];
BEGIN
  IF TG_OP = 'INSERT' THEN
    SELECT array_agg(DISTINCT patient_id) INTO touched FROM new_rules;
  ELSIF TG_OP = 'DELETE' THEN
    SELECT array_agg(DISTINCT patient_id) INTO touched FROM old_rules;
  ELSE
    SELECT array_agg(DISTINCT patient_id) INTO touched FROM (SELECT patient_id FROM new_rules UNION SELECT patient_id FROM old_rules) t;
  END IF;
  IF touched IS NULL THEN RETURN NULL; END IF;
  PERFORM 1 FROM access_record WHERE patient_id = ANY(touched) ORDER BY patient_id FOR UPDATE;
  UPDATE access_record a SET (opened, permitted, denied, timed, masked, refused, named_masks) =
      (SELECT s.opened, s.permitted, s.denied, s.timed, s.masked, s.refused, s.named_masks FROM access_summary_of(a.patient_id) s)
    WHERE a.patient_id = ANY(touched);
  RETURN NULL;
END $$;

-- The Consents stored before: each mask a Consent in force states only under provisions naming professionals becomes a
-- mask for the professionals the nearest of them names, in every spelling the rules derive for them
-- (`actorReferenceKeys`: the reference without its version, or system|value, and the IdNat_PS / RPPS forms of one
-- RPPS). A document the same Consent also masks naming nobody stays masked for everyone. Only masks that were stored
-- are rewritten (a provision the rules could not read stored none).
CREATE TEMPORARY TABLE named_mask ON COMMIT DROP AS
WITH RECURSIVE provision(consent_id, patient_id, p, actors, depth) AS (
  SELECT r.id, r.compartment, r.text::jsonb -> 'provision', '[]'::jsonb, 0
  FROM resource r
  WHERE r.type = 'Consent' AND NOT r.deleted AND r.text IS NOT NULL AND r.compartment IS NOT NULL
    AND r.text::jsonb ->> 'status' = 'active' AND jsonb_typeof(r.text::jsonb -> 'provision') = 'object'
  UNION ALL
  SELECT pr.consent_id, pr.patient_id, n.p,
    CASE WHEN jsonb_typeof(pr.p -> 'actor') = 'array' AND jsonb_array_length(pr.p -> 'actor') > 0 THEN pr.p -> 'actor' ELSE pr.actors END,
    pr.depth + 1
  FROM provision pr CROSS JOIN LATERAL jsonb_array_elements(CASE WHEN jsonb_typeof(pr.p -> 'provision') = 'array' THEN pr.p -> 'provision' ELSE '[]'::jsonb END) AS n(p)
  WHERE pr.depth < 20
),
mask AS (
  SELECT pr.consent_id, pr.patient_id, substring(d #>> '{reference,reference}' FROM '^DocumentReference/([^/]+)') AS doc_id, pr.actors
  FROM provision pr
  CROSS JOIN LATERAL jsonb_array_elements(CASE WHEN jsonb_typeof(pr.p -> 'data') = 'array' THEN pr.p -> 'data' ELSE '[]'::jsonb END) AS d
  WHERE pr.p ->> 'type' = 'deny'
),
only_named AS (
  SELECT consent_id, doc_id FROM mask WHERE doc_id IS NOT NULL GROUP BY consent_id, doc_id HAVING bool_and(jsonb_array_length(actors) > 0)
)
SELECT DISTINCT m.consent_id, m.patient_id, m.doc_id, k.actor_key
FROM mask m
JOIN only_named o ON o.consent_id = m.consent_id AND o.doc_id = m.doc_id
CROSS JOIN LATERAL jsonb_array_elements(m.actors) AS a
CROSS JOIN LATERAL (
  SELECT regexp_replace(a #>> '{reference,reference}', '/_history/.*$', '') AS actor_key
  WHERE coalesce(a #>> '{reference,reference}', '') <> ''
  UNION ALL
  SELECT (a #>> '{reference,identifier,system}') || '|' || (a #>> '{reference,identifier,value}')
  WHERE coalesce(a #>> '{reference,reference}', '') = '' AND coalesce(a #>> '{reference,identifier,system}', '') <> '' AND coalesce(a #>> '{reference,identifier,value}', '') <> ''
  UNION ALL
  SELECT 'https://rpps.esante.gouv.fr|' || substr(a #>> '{reference,identifier,value}', 2)
  WHERE coalesce(a #>> '{reference,reference}', '') = '' AND a #>> '{reference,identifier,system}' = 'urn:oid:1.2.250.1.71.4.2.1' AND a #>> '{reference,identifier,value}' ~ '^8[0-9]{11}$'
  UNION ALL
  SELECT 'urn:oid:1.2.250.1.71.4.2.1|8' || (a #>> '{reference,identifier,value}')
  WHERE coalesce(a #>> '{reference,reference}', '') = '' AND a #>> '{reference,identifier,system}' = 'https://rpps.esante.gouv.fr' AND coalesce(a #>> '{reference,identifier,value}', '') <> ''
) AS k;

-- Only where a mask for everyone was stored for that Consent and document.
DELETE FROM named_mask n WHERE NOT EXISTS (SELECT 1 FROM access_consent ac
  WHERE ac.consent_id = n.consent_id AND ac.kind = 'mask' AND ac.doc_id = n.doc_id AND ac.actor_key IS NULL);
INSERT INTO access_consent (consent_id, patient_id, kind, actor_key, doc_id)
  SELECT consent_id, patient_id, 'mask', actor_key, doc_id FROM named_mask;
DELETE FROM access_consent ac USING (SELECT DISTINCT consent_id, doc_id FROM named_mask) n
  WHERE ac.consent_id = n.consent_id AND ac.kind = 'mask' AND ac.doc_id = n.doc_id AND ac.actor_key IS NULL;
