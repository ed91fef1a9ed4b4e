-- A Consent provision may narrow what it covers (`class`, `code`, `securityLabel`, `dataPeriod`, an action other than
-- access, an authorisation for a purpose other than care, a period on an opening, a period around nested provisions,
-- an actor in another role than recipient), and a Consent may be about something else than the DMP (another scope or
-- category, an opt-out policy).
-- The access tables read none of those narrowings, so "Dr X, for laboratory results only" authorised Dr X on the whole
-- record, and an opening "until 2001" opened it for good (attack sweep 8). Writes now refuse them with 422
-- (`access/consent-rules.ts` `unenforced`), and a Consent in force that carries one grants nothing when its rules are
-- derived. This applies the same to Consents written before: their grants (`open`, `permit` rows) are removed; their
-- blocks, masks and refusals of emergencies stay, since keeping a restriction never widens access. The triggers on
-- access_consent recompute each record's summary.
WITH RECURSIVE provision(consent_id, p, depth) AS (
  SELECT r.id, r.text::jsonb -> 'provision', 0
  FROM resource r
  WHERE r.type = 'Consent' AND NOT r.deleted AND r.text IS NOT NULL AND r.text::jsonb ->> 'status' = 'active'
    AND jsonb_typeof(r.text::jsonb -> 'provision') = 'object'
  UNION ALL
  SELECT pr.consent_id, n.p, pr.depth + 1
  FROM provision pr CROSS JOIN LATERAL jsonb_array_elements(CASE WHEN jsonb_typeof(pr.p -> 'provision') = 'array' THEN pr.p -> 'provision' ELSE '[]'::jsonb END) AS n(p)
  WHERE pr.depth < 20
),
not_privacy AS (
  -- Not a DMP privacy consent: another scope or category, or a policy other than OPT-IN.
  SELECT r.id AS consent_id FROM resource r
  WHERE r.type = 'Consent' AND NOT r.deleted AND r.text IS NOT NULL AND r.text::jsonb ->> 'status' = 'active'
    AND (NOT jsonb_path_exists(r.text::jsonb, 'lax $.scope.coding[*] ? (@.system == "http://terminology.hl7.org/CodeSystem/consentscope" && @.code == "patient-privacy")')
      OR NOT jsonb_path_exists(r.text::jsonb, 'lax $.category[*].coding[*] ? (@.system == "http://loinc.org" && @.code == "59284-0")')
      OR (r.text::jsonb ? 'policyRule' AND NOT jsonb_path_exists(r.text::jsonb, 'lax $.policyRule.coding[*] ? (@.system == "http://terminology.hl7.org/CodeSystem/v3-ActCode" && @.code == "OPTIN")')))
),
narrowed AS (
  SELECT consent_id FROM not_privacy
  UNION
  SELECT DISTINCT consent_id FROM provision
  WHERE p ?| ARRAY['class', 'code', 'securityLabel', 'dataPeriod']
    OR EXISTS (SELECT 1 FROM jsonb_array_elements(CASE WHEN jsonb_typeof(p -> 'action') = 'array' THEN p -> 'action' ELSE '[]'::jsonb END) a
      WHERE NOT coalesce(jsonb_typeof(a -> 'coding') = 'array' AND jsonb_array_length(a -> 'coding') > 0, false)
        OR EXISTS (SELECT 1 FROM jsonb_array_elements(a -> 'coding') c
          WHERE c ->> 'system' IS DISTINCT FROM 'http://terminology.hl7.org/CodeSystem/consentaction' OR c ->> 'code' IS DISTINCT FROM 'access'))
    OR (p ->> 'type' = 'permit' AND jsonb_typeof(p -> 'actor') = 'array' AND jsonb_array_length(p -> 'actor') > 0
      AND EXISTS (SELECT 1 FROM jsonb_array_elements(CASE WHEN jsonb_typeof(p -> 'purpose') = 'array' THEN p -> 'purpose' ELSE '[]'::jsonb END) pu
        WHERE (pu ? 'system' AND pu ->> 'system' IS DISTINCT FROM 'http://terminology.hl7.org/CodeSystem/v3-ActReason') OR pu ->> 'code' IS DISTINCT FROM 'TREAT'))
    OR EXISTS (SELECT 1 FROM jsonb_array_elements(CASE WHEN jsonb_typeof(p -> 'actor') = 'array' THEN p -> 'actor' ELSE '[]'::jsonb END) ac
      WHERE NOT jsonb_path_exists(ac, 'lax $.role.coding[*] ? (@.system == "http://terminology.hl7.org/CodeSystem/v3-ParticipationType" && @.code == "IRCP")'))
    OR (p ? 'period' AND NOT coalesce(jsonb_typeof(p -> 'actor') = 'array' AND jsonb_array_length(p -> 'actor') > 0, false))
    OR (p ? 'period' AND coalesce(jsonb_typeof(p -> 'provision') = 'array' AND jsonb_array_length(p -> 'provision') > 0, false))
)
DELETE FROM access_consent ac USING narrowed n
WHERE ac.consent_id = n.consent_id AND ac.kind IN ('open', 'permit');
