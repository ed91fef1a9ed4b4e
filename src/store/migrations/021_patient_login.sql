-- Patient sign-in (the server as a small issuer, as the DMP does): identifier + password, then a one-time
-- code sent by e-mail or SMS. Passwords are scrypt hashes; codes are stored as SHA-256 digests only.

-- One credential per login identifier; failed_count counts consecutive failures (password or code) and
-- locked_until blocks every attempt until that instant.
CREATE TABLE patient_credential (
  login         text        PRIMARY KEY,
  patient_id    text        NOT NULL,
  password_hash text        NOT NULL,
  failed_count  integer     NOT NULL DEFAULT 0,
  locked_until  timestamptz,
  updated_at    timestamptz NOT NULL
);
CREATE INDEX patient_credential_patient ON patient_credential (patient_id);

-- One row per code sent: it expires, is used at most once, and burns after a few wrong guesses.
CREATE TABLE login_challenge (
  id          text        PRIMARY KEY,
  login       text        NOT NULL REFERENCES patient_credential (login) ON DELETE CASCADE,
  patient_id  text        NOT NULL,
  code_digest text        NOT NULL,
  created_at  timestamptz NOT NULL,
  expires_at  timestamptz NOT NULL,
  used_at     timestamptz,
  attempts    integer     NOT NULL DEFAULT 0
);
CREATE INDEX login_challenge_login ON login_challenge (login, created_at);
