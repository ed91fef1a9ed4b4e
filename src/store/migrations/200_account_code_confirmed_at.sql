-- A code entered correctly is told apart from a code retired unused (issue 12). `used_at` says only that a code no
-- longer works: entered, or superseded when a newer code of the same purpose was asked (`storeCode`). A superseded
-- `$change-contact` request read as a confirmed contact, so a request retired unconfirmed for an address already on
-- the record made that address one where a young adult's reset and sign-in codes could go. `confirmed_at` is set only
-- when the code is entered correctly (or the contact confirmed in person at a counter); readers of "confirmed" use it.
ALTER TABLE account_code ADD COLUMN confirmed_at timestamptz;

-- Existing rows: a code retired by a newer one has `used_at` equal to the newer row's `created_at` (one statement
-- instant in `storeCode`); a counter marker is created already used and expired (`created_at = used_at = expires_at`,
-- `storeConfirmedContact`). Every other used row was entered correctly.
UPDATE account_code c SET confirmed_at = c.used_at
 WHERE c.used_at IS NOT NULL
   AND ((c.used_at = c.created_at AND c.expires_at = c.created_at)
        OR NOT EXISTS (SELECT 1 FROM account_code n
                        WHERE n.purpose = c.purpose AND n.patient_id = c.patient_id AND n.id <> c.id AND n.created_at = c.used_at));

ALTER TABLE account_code ADD CONSTRAINT account_code_confirmed_is_used CHECK (confirmed_at IS NULL OR used_at IS NOT NULL);

-- A contact change asked or confirmed by a legal guardian (a guardian token on the child's record) proves only that the
-- guardian reads that address: it may be his own. Until the holder confirms it himself (a later confirmation: his own
-- `$confirm-contact`, or a counter), codes that set or open the holder's account never go there (`auth/credential-contacts.ts`).
ALTER TABLE account_code ADD COLUMN by_guardian boolean NOT NULL DEFAULT false;
