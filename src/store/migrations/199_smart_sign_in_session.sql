-- The authorization server's sign-in session (issue 15: a guardian changes record without typing his password
-- again; OpenID Connect single sign-on). After the password and the one-time code, the browser holds a cookie naming
-- a random secret; only its SHA-256 is stored here. It lives 30 minutes at most (SMART_SESSION_TTL), less if unused
-- (SMART_SESSION_IDLE), and names the person who signed in (`account`, his own record). It never skips the record
-- choice nor the consent: only the password and the code.
CREATE TABLE smart_sign_in_session (
  id_digest      text        PRIMARY KEY,
  account        text        NOT NULL,
  created_at     timestamptz NOT NULL,
  last_used_at   timestamptz NOT NULL,
  expires_at     timestamptz NOT NULL,
  revoked_at     timestamptz,
  revoked_reason text
);
CREATE INDEX smart_sign_in_session_account ON smart_sign_in_session (account) WHERE revoked_at IS NULL;
CREATE INDEX smart_sign_in_session_expiry ON smart_sign_in_session (expires_at);

-- A new password (reset after a theft, or changed) or the end of the credential (purge) ends the sessions it opened,
-- in the statement that changes the credential (as migration 195 does for refresh families).
CREATE FUNCTION smart_end_sessions_on_password() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    UPDATE smart_sign_in_session SET revoked_at = now(), revoked_reason = 'credential removed'
      WHERE account = OLD.patient_id AND revoked_at IS NULL;
    RETURN OLD;
  END IF;
  IF TG_OP = 'INSERT' OR NEW.password_hash IS DISTINCT FROM OLD.password_hash THEN
    UPDATE smart_sign_in_session SET revoked_at = now(), revoked_reason = 'password changed'
      WHERE account = NEW.patient_id AND revoked_at IS NULL;
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER smart_end_sessions_on_password AFTER INSERT OR UPDATE OF password_hash OR DELETE ON patient_credential
  FOR EACH ROW EXECUTE FUNCTION smart_end_sessions_on_password();

-- Which session an authorization request, a code and a refresh family come from (the portal's sign-out ends it), and
-- when that session's person typed his password and code (OpenID Connect auth_time, max_age).
ALTER TABLE smart_authorization ADD COLUMN sign_in_session text, ADD COLUMN auth_time timestamptz;
ALTER TABLE smart_code ADD COLUMN sign_in_session text, ADD COLUMN auth_time timestamptz;
ALTER TABLE smart_refresh_family ADD COLUMN sign_in_session text;
