-- Notification outbox: rows are inserted in the same transaction as their cause (document added, first
-- access, emergency access, login code) and delivered later by the dispatcher, whose whole state lives
-- here so that it survives restarts. `idempotency_key` is unique: a cause queued twice yields one row,
-- and a row whose status is 'delivered' is never claimed again.
-- status: pending → sending → delivered | failed (gave up) | undeliverable-config (no transport configured)
--         | no-recipient (the patient has no usable contact) | expired (e.g. a login code sent too late)
CREATE TABLE notify_outbox (
  id              bigserial   PRIMARY KEY,
  idempotency_key text        NOT NULL UNIQUE,
  kind            text        NOT NULL,
  patient_id      text,
  channel         text        NOT NULL,
  recipient       text,
  subject         text        NOT NULL,
  body            text        NOT NULL,
  status          text        NOT NULL DEFAULT 'pending',
  attempts        integer     NOT NULL DEFAULT 0,
  created_at      timestamptz NOT NULL,
  next_attempt_at timestamptz NOT NULL,
  locked_until    timestamptz,
  expires_at      timestamptz,
  delivered_at    timestamptz,
  last_error      text,
  provider_ref    text
);
CREATE INDEX notify_outbox_due ON notify_outbox (next_attempt_at, id) WHERE status IN ('pending', 'sending');
CREATE INDEX notify_outbox_patient ON notify_outbox (patient_id, created_at);

-- Which professional already accessed which patient's record: "first access" is the insert that succeeds.
CREATE TABLE notify_first_access (
  patient_id   text        NOT NULL,
  professional text        NOT NULL,
  first_at     timestamptz NOT NULL,
  PRIMARY KEY (patient_id, professional)
);
