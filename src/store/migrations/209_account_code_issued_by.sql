-- Who issued an account code (issue 11, sweep 7): the professional who opened the record (and printed its activation
-- code), the Assurance Maladie counter that renewed it, the server's majority hand-over. A code on paper is a bearer
-- credential: when an activation is done with it, the holder's trail names who issued the code used, and a holder who
-- finds his code already used learns when. Rows written before this migration have none (the trail says « inconnu »).
ALTER TABLE account_code ADD COLUMN issued_by text;
