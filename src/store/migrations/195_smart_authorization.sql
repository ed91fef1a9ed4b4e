-- SMART App Launch (issue 15): the authorization server's state. Secrets (browser cookies, codes, refresh tokens)
-- are stored as SHA-256 digests only, so a read of these tables gives nobody a usable credential.

-- One row per authorization request while the patient signs in and consents (minutes). `browser_digest` binds
-- it to the browser that opened it (cookie), `csrf_digest` to the forms we rendered.
CREATE TABLE smart_authorization (
  id             text        PRIMARY KEY,
  browser_digest text        NOT NULL,
  csrf_digest    text        NOT NULL,
  client_id      text        NOT NULL,
  redirect_uri   text        NOT NULL,
  scope          text        NOT NULL,
  state          text        NOT NULL,
  code_challenge text        NOT NULL,
  nonce          text,
  -- 'login' → 'code' → ('record') → 'consent' → 'done'
  stage          text        NOT NULL,
  challenge_id   text,
  patient_id     text,
  -- The record chosen (own, or a child's through a guardian link): JSON {kind, patient, relatedPerson?}.
  subject        jsonb,
  created_at     timestamptz NOT NULL,
  expires_at     timestamptz NOT NULL
);
CREATE INDEX smart_authorization_expiry ON smart_authorization (expires_at);

-- Authorization codes: single use, short-lived, bound to client, redirect URI and PKCE challenge.
CREATE TABLE smart_code (
  code_digest    text        PRIMARY KEY,
  client_id      text        NOT NULL,
  redirect_uri   text        NOT NULL,
  code_challenge text        NOT NULL,
  scope          text        NOT NULL,
  nonce          text,
  subject        jsonb       NOT NULL,
  -- The record whose credential signed in (the guardian's own record when he chose a child's).
  account        text,
  created_at     timestamptz NOT NULL,
  expires_at     timestamptz NOT NULL,
  used_at        timestamptz,
  -- The refresh-token family issued from this code: revoked if the code is presented again (RFC 6749 §4.1.2).
  family_id      text
);
CREATE INDEX smart_code_expiry ON smart_code (expires_at);

-- A refresh-token family: one sign-in of one client; revoking it ends every token of the chain.
CREATE TABLE smart_refresh_family (
  id             text        PRIMARY KEY,
  client_id      text        NOT NULL,
  scope          text        NOT NULL,
  subject        jsonb       NOT NULL,
  account        text,
  created_at     timestamptz NOT NULL,
  revoked_at     timestamptz,
  revoked_reason text
);
CREATE INDEX smart_refresh_family_account ON smart_refresh_family (account) WHERE revoked_at IS NULL;

-- A new password (reset after a theft, or changed by the patient) disconnects every app the old one let in, and so
-- does the end of the credential (record purge): the refresh families of that account are revoked in the statement
-- that changes the credential.
CREATE FUNCTION smart_revoke_on_password() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' THEN
    UPDATE smart_refresh_family SET revoked_at = now(), revoked_reason = 'credential removed'
      WHERE account = OLD.patient_id AND revoked_at IS NULL;
    RETURN OLD;
  END IF;
  IF TG_OP = 'INSERT' OR NEW.password_hash IS DISTINCT FROM OLD.password_hash THEN
    UPDATE smart_refresh_family SET revoked_at = now(), revoked_reason = 'password changed'
      WHERE account = NEW.patient_id AND revoked_at IS NULL;
  END IF;
  RETURN NEW;
END $$;
CREATE TRIGGER smart_revoke_on_password AFTER INSERT OR UPDATE OF password_hash OR DELETE ON patient_credential
  FOR EACH ROW EXECUTE FUNCTION smart_revoke_on_password();

-- Each refresh token is used once (rotation): presenting a used one again revokes its family.
CREATE TABLE smart_refresh_token (
  token_digest text        PRIMARY KEY,
  family_id    text        NOT NULL REFERENCES smart_refresh_family (id) ON DELETE CASCADE,
  created_at   timestamptz NOT NULL,
  expires_at   timestamptz NOT NULL,
  used_at      timestamptz
);
CREATE INDEX smart_refresh_token_family ON smart_refresh_token (family_id);

-- Client assertion ids (private_key_jwt) seen until their expiry: a replayed assertion is refused.
CREATE TABLE smart_assertion_jti (
  client_id  text        NOT NULL,
  jti        text        NOT NULL,
  expires_at timestamptz NOT NULL,
  PRIMARY KEY (client_id, jti)
);
CREATE INDEX smart_assertion_jti_expiry ON smart_assertion_jti (expires_at);
