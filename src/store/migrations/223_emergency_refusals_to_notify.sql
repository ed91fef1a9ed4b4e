-- A refusal of emergency access (BTG, ETREAT) stated in a provision that names a professional or a document, or under one
-- that does, refuses nothing since migration 220 (it had refused emergency access to everyone). Its patient is told once,
-- like those of migration 219 (`access/consent-rules.ts` `toldWithoutEffect`, `access/consents-without-effect-notice.ts`),
-- and the portal lists it under « Choix sans effet ». A database that ran 219's list, and drained it, before these
-- refusals were counted would never tell their patients: the records holding a Consent in force that refuses an emergency
-- purpose anywhere in its provisions are listed again (which of them are without effect is decided in TypeScript, as for
-- 219). Already listed, or already told (the notice's key is unique), nobody is told twice.
INSERT INTO consent_review_pending (patient_id)
SELECT DISTINCT r.compartment
FROM resource r
WHERE r.type = 'Consent' AND NOT r.deleted AND r.compartment IS NOT NULL AND r.text IS NOT NULL
  AND r.text::jsonb ->> 'status' = 'active'
  AND jsonb_path_exists(r.text::jsonb -> 'provision', 'strict $.**.purpose[*].code ? (@ == "BTG" || @ == "ETREAT")')
ON CONFLICT (patient_id) DO NOTHING;
