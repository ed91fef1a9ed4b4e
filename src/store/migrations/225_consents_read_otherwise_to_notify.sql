-- Consents stored before writes refused these shapes (attack sweep 10, 422) still apply the rules derived when they were
-- stored, which are not what the patient wrote: a block or authorisation whose period ends before it starts never holds;
-- a bare permit nested under a provision naming a professional or a document opened the whole record; a block or mask
-- « for » a purpose (research, care) holds for everything; a mask « authoredby » masks the document itself; an opening
-- « for » a purpose of another code system opened the record. Their rules are kept as derived (see src/access/README.md « Consents without effect »: changing them would
-- close records that work as open, or lift blocks, without the patient's say); the portal lists each provision under
-- « Choix sans effet » with how it is read now, and the patient is told once (`access/consent-rules.ts`
-- `provisionsReadOtherwise`, `access/consents-without-effect-notice.ts`). Which provisions are concerned is decided in
-- TypeScript; this lists the records that may hold one (a superset: a period with both bounds, a nested permit, a
-- purpose other than an emergency refusal's, a mask's meaning). `reason` tells the task to tell of these provisions only, under a key of
-- their own: 219's notice may have been sent before they counted. A record still listed by 219 or 223 keeps its row and
-- is told of everything at once.
ALTER TABLE consent_review_pending ADD COLUMN IF NOT EXISTS reason text NOT NULL DEFAULT 'without-effect';
INSERT INTO consent_review_pending (patient_id, reason)
SELECT DISTINCT r.compartment, 'read-otherwise'
FROM resource r
WHERE r.type = 'Consent' AND NOT r.deleted AND r.compartment IS NOT NULL AND r.text IS NOT NULL
  AND r.text::jsonb ->> 'status' = 'active'
  AND (jsonb_path_exists(r.text::jsonb -> 'provision', 'strict $.**.period ? (exists(@.start) && exists(@.end))')
    OR jsonb_path_exists(r.text::jsonb -> 'provision', 'strict $.**.provision[*] ? (@.type == "permit")')
    OR jsonb_path_exists(r.text::jsonb -> 'provision', 'strict $.**.data[*] ? (exists(@.meaning) && @.meaning != "instance" && @.meaning != "related" && @.meaning != "dependents")')
    OR jsonb_path_exists(r.text::jsonb -> 'provision', 'strict $.**.purpose[*] ? (!(@.code == "BTG" || @.code == "ETREAT") || (exists(@.system) && @.system != "http://terminology.hl7.org/CodeSystem/v3-ActReason"))'))
ON CONFLICT (patient_id) DO NOTHING;
