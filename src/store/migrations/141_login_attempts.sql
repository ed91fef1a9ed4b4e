-- Sign-in failures are counted per identifier, whether or not a credential exists for it: an unknown identifier
-- locks after the same number of failures, with the same answer, as a known one (an attacker cannot tell them
-- apart). An attempt is reserved here (failed_count + 1, and the lock when the limit is reached) before the
-- password or the code is checked, in one statement, so parallel guesses cannot all be checked.
CREATE TABLE login_attempt (
  login        text        PRIMARY KEY,
  failed_count integer     NOT NULL DEFAULT 0,
  locked_until timestamptz,
  updated_at   timestamptz NOT NULL
);

-- The counters move here from the credential: one place to count, for known and unknown identifiers alike.
INSERT INTO login_attempt (login, failed_count, locked_until, updated_at)
  SELECT login, failed_count, locked_until, updated_at FROM patient_credential WHERE failed_count > 0 OR locked_until IS NOT NULL;
ALTER TABLE patient_credential DROP COLUMN failed_count, DROP COLUMN locked_until;
