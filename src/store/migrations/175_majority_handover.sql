-- Issue 12, guardian hand-over at majority: one row per record and majority date once the hand-over is done (the
-- former guardians and the young adult told, his credentials renewed). The job inserts it first, inside the
-- hand-over's transaction: two runs at once, or a second run, find it and do nothing. A birth date corrected by the
-- identity procedure gives a new majority date, hence a new hand-over.
CREATE TABLE majority_handover (
  patient_id   text        NOT NULL,
  majority_on  date        NOT NULL,
  handed_at    timestamptz NOT NULL,
  -- Former guardians told (RelatedPerson ids), credentials revoked, whether an activation code could be sent.
  guardians    text[]      NOT NULL DEFAULT '{}',
  revoked      integer     NOT NULL DEFAULT 0,
  code_sent    boolean     NOT NULL DEFAULT false,
  PRIMARY KEY (patient_id, majority_on)
);
