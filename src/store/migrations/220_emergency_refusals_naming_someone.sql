-- A refusal of emergency access (a deny of purpose BTG or ETREAT, v3-ActReason) in a provision that names professionals
-- or documents, or under one that does ("Dr X authorised, but not in break-glass"; "Dr X blocked for break-glass"), was
-- stored as a refusal for everyone: the actors were ignored, so no professional could break glass for the patient, nor
-- the SAMU regulator read her record. Writes now refuse it with 422 (`access/consent-rules.ts`, NAMED_EMERGENCY_REFUSAL);
-- a Consent in force that carries one derives no refusal from it, only the block or authorisation around it.
-- This gives the Consents stored before the same reading: the refusals they stored for such provisions are removed,
-- unless the same Consent also refuses that purpose in a provision that names nobody. What the patient wrote about the
-- professional she named still holds: a block holds in an emergency too, and an authorised professional reads without
-- break-glass. The triggers on access_consent recompute each record's summary.
WITH RECURSIVE provision(consent_id, p, names, depth) AS (
  SELECT r.id, r.text::jsonb -> 'provision', false, 0
  FROM resource r
  WHERE r.type = 'Consent' AND NOT r.deleted AND r.text IS NOT NULL AND r.text::jsonb ->> 'status' = 'active'
    AND jsonb_typeof(r.text::jsonb -> 'provision') = 'object'
  UNION ALL
  SELECT pr.consent_id, n.p, pr.names OR (
      coalesce(jsonb_typeof(pr.p -> 'actor') = 'array' AND jsonb_array_length(pr.p -> 'actor') > 0, false)
      OR coalesce(jsonb_typeof(pr.p -> 'data') = 'array' AND jsonb_array_length(pr.p -> 'data') > 0, false)), pr.depth + 1
  FROM provision pr CROSS JOIN LATERAL jsonb_array_elements(CASE WHEN jsonb_typeof(pr.p -> 'provision') = 'array' THEN pr.p -> 'provision' ELSE '[]'::jsonb END) AS n(p)
  WHERE pr.depth < 20
),
refusal AS (
  -- Each emergency purpose a deny provision refuses, and whether it (or an enclosing provision) names someone.
  SELECT pr.consent_id, pu ->> 'code' AS purpose,
    pr.names OR coalesce(jsonb_typeof(pr.p -> 'actor') = 'array' AND jsonb_array_length(pr.p -> 'actor') > 0, false)
      OR coalesce(jsonb_typeof(pr.p -> 'data') = 'array' AND jsonb_array_length(pr.p -> 'data') > 0, false) AS named
  FROM provision pr
  CROSS JOIN LATERAL jsonb_array_elements(CASE WHEN jsonb_typeof(pr.p -> 'purpose') = 'array' THEN pr.p -> 'purpose' ELSE '[]'::jsonb END) AS pu
  WHERE pr.p ->> 'type' = 'deny' AND pu ->> 'code' IN ('BTG', 'ETREAT')
    AND coalesce(pu ->> 'system', '') IN ('', 'http://terminology.hl7.org/CodeSystem/v3-ActReason')
),
named_only AS (
  SELECT consent_id, purpose FROM refusal GROUP BY consent_id, purpose HAVING bool_and(named)
)
DELETE FROM access_consent ac USING named_only n
WHERE ac.consent_id = n.consent_id AND ac.kind = 'refuse' AND ac.purpose = n.purpose;
