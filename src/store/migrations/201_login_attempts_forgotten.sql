-- Sign-in failures are counted over a window (issue 12): a count whose last failure is older than the lock duration
-- (LOGIN_LOCK_SECONDS) starts over, as a count does once its lock has expired. `forget_at` is when this row's count no
-- longer matters (its last reserved attempt + the lock duration). Such a row then answers exactly as no row, for a
-- known and an unknown identifier alike, so the purge job deletes it: rows for identifiers that never existed no
-- longer pile up under an enumeration attack, and removing them tells an attacker nothing.
ALTER TABLE login_attempt ADD COLUMN forget_at timestamptz;
-- Existing rows: a day after their last attempt (longer than any lock configured so far), or the end of their lock.
UPDATE login_attempt SET forget_at = GREATEST(updated_at + interval '1 day', COALESCE(locked_until, updated_at));
ALTER TABLE login_attempt ALTER COLUMN forget_at SET NOT NULL;
CREATE INDEX login_attempt_forget_at ON login_attempt (forget_at);

-- The same for the activation failures (`account_attempt`, migration 151), counted per record or per unknown key
-- (`unknown:<id or ins>`): one row per guessed key under an enumeration of `/auth/activate`.
ALTER TABLE account_attempt ADD COLUMN forget_at timestamptz;
UPDATE account_attempt SET forget_at = GREATEST(updated_at + interval '1 day', COALESCE(locked_until, updated_at));
ALTER TABLE account_attempt ALTER COLUMN forget_at SET NOT NULL;
CREATE INDEX account_attempt_forget_at ON account_attempt (forget_at);
