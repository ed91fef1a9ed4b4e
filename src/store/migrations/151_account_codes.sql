-- One-time codes of the account procedures (issue 12): the activation code issued when a record is created, the
-- password-reset code, and the code confirming a new e-mail or mobile. Stored as SHA-256 digests only; each expires,
-- is used at most once and burns after a few wrong guesses (`attempts`).
CREATE TABLE account_code (
  id             text        PRIMARY KEY,
  purpose        text        NOT NULL CHECK (purpose IN ('activation', 'password-reset', 'contact-change')),
  patient_id     text        NOT NULL,
  -- password-reset: the sign-in identifier the code was asked for.
  login          text,
  -- contact-change: the new contact, applied once confirmed ('email' or 'sms').
  contact_system text,
  contact_value  text,
  code_digest    text        NOT NULL,
  created_at     timestamptz NOT NULL,
  expires_at     timestamptz NOT NULL,
  used_at        timestamptz,
  attempts       integer     NOT NULL DEFAULT 0
);
CREATE INDEX account_code_patient ON account_code (purpose, patient_id, created_at);
CREATE INDEX account_code_login ON account_code (purpose, login, created_at) WHERE login IS NOT NULL;

-- Activation failures counted per record (or per unknown key, with the same answer), reserved before the code is
-- compared, as login_attempt does for sign-in: parallel guesses cannot pass the limit.
CREATE TABLE account_attempt (
  purpose      text        NOT NULL,
  key          text        NOT NULL,
  failed_count integer     NOT NULL DEFAULT 0,
  locked_until timestamptz,
  updated_at   timestamptz NOT NULL,
  PRIMARY KEY (purpose, key)
);
