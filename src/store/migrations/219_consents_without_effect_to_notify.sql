-- Consents stored before attack sweep 8 may state a choice the access tables do not apply (a professional or a document
-- named in a form no rule matches; an opening or an authorisation carrying a narrowing, whose grant migration 215
-- removed; a consent of another kind): the portal lists them under « Choix sans effet », but a patient who never opens
-- it believes her choice works. Each such patient is told once. Which Consents are without effect is decided in
-- TypeScript (`access/consent-rules.ts` `hasChoiceWithoutEffect`, the checks writes and the portal use), and the notice
-- needs what SQL does not have: the patient's contacts and notice preferences at that moment, her guardians, the link
-- to her space (NOTIFY_RECORD_URL). So this migration only records the records to look at — every record holding a
-- Consent in force, i.e. stored by an older version, since writes refuse such Consents from now on — and a start-up
-- task (`access/consents-without-effect-notice.ts`) drains the list: per record, in one transaction, it queues the
-- notice (or none) and deletes the record's row, so a re-run, a restart or a second server never tells twice.
CREATE TABLE consent_review_pending (
  patient_id text PRIMARY KEY
);
INSERT INTO consent_review_pending (patient_id)
SELECT DISTINCT r.compartment
FROM resource r
WHERE r.type = 'Consent' AND NOT r.deleted AND r.compartment IS NOT NULL AND r.text IS NOT NULL
  AND r.text::jsonb ->> 'status' = 'active';
