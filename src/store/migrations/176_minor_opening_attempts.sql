-- Issue 12, a cap on Patient/$open-minor-record: someone who knows children's INS, birth dates and sexes could open
-- many records (the server cannot check parenthood), and each 409 tells him that a child has a record. Every attempt
-- by a parent is kept here, reserved before the opening runs and committed at once (parallel attempts see it):
-- 'pending' while it runs (counted as an opening, so parallel attempts cannot pass the cap), then 'opened' (in the
-- opening's transaction) or 'refused'. The caps are counted from these rows (src/access/minor-opening-limits.ts).
CREATE TABLE minor_opening_attempt (
  id            bigserial   PRIMARY KEY,
  parent_id     text        NOT NULL,
  attempted_at  timestamptz NOT NULL,
  outcome       text        NOT NULL DEFAULT 'pending' CHECK (outcome IN ('pending', 'opened', 'refused')),
  child_id      text
);
CREATE INDEX minor_opening_attempt_parent ON minor_opening_attempt (parent_id, attempted_at);
