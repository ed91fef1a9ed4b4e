-- Issue 11, account takeover: the access tokens our own issuers (patient sign-in, SMART) gave a patient or a guardian
-- die with the event that ends the right they carried. One row per subject a token may name: `Patient/<id>` (the
-- account whose credential signed in, or the patient record a patient token names) or `RelatedPerson/<id>` (a
-- guardian). A token issued at or before `cut_at` is refused with 401 (src/access/token-cutoffs.ts). The instant is
-- clock_timestamp(), the real time of the statement: the job's own clock may be injected (majority hand-over), the
-- tokens' `iat` never is. A cut-off only moves forward.
CREATE TABLE token_cutoff (
  subject text        PRIMARY KEY,
  cut_at  timestamptz NOT NULL,
  reason  text        NOT NULL
);

-- Written in the transaction of the event (its trigger, or the code that makes it: guardian link ended, hand-over).
CREATE FUNCTION token_cutoff_set(p_subject text, p_reason text) RETURNS void LANGUAGE sql AS $$
  INSERT INTO token_cutoff (subject, cut_at, reason) VALUES (p_subject, clock_timestamp(), p_reason)
  ON CONFLICT (subject) DO UPDATE SET cut_at = GREATEST(token_cutoff.cut_at, EXCLUDED.cut_at), reason = EXCLUDED.reason
$$;

-- A new password (reset after a theft, change, activation) or the end of the credential (majority hand-over of
-- credentials set while a minor, purge) ends every access token the account was given, in the statement that changes
-- the credential, as migrations 195 and 199 do for refresh families and sign-in sessions.
CREATE FUNCTION token_cutoff_on_credential() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    PERFORM token_cutoff_set('Patient/' || OLD.patient_id, 'credentials revoked');
    RETURN OLD;
  END IF;
  IF TG_OP = 'INSERT' OR NEW.password_hash IS DISTINCT FROM OLD.password_hash THEN
    PERFORM token_cutoff_set('Patient/' || NEW.patient_id, 'password set');
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER token_cutoff_on_credential AFTER INSERT OR UPDATE OF password_hash OR DELETE ON patient_credential
  FOR EACH ROW EXECUTE FUNCTION token_cutoff_on_credential();
