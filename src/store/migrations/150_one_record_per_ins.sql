-- One record per INS (DESIGN §5 "Identity"), enforced by the database: `record_ins` holds each INS
-- (the bare matricule, whatever its OID) once, with the record that carries it. The access module's afterWrite
-- keeps it in step with Patient writes, inside the write transaction: two concurrent creations of one INS meet on
-- the primary key, and the second gets 409. Closed records keep their INS (a closed record is reactivated, not
-- opened again); a deleted one frees it.
CREATE TABLE record_ins (
  ins        text PRIMARY KEY,
  patient_id text NOT NULL
);
CREATE INDEX record_ins_patient ON record_ins (patient_id);

-- Records that shared an INS with an older record when this constraint arrived (or later, through an operator's
-- decision): left out of record_ins, listed for the operator (`npm run identity:duplicates`). resolved_at is
-- set when the operator closes the record (`--close`).
CREATE TABLE identity_duplicate (
  patient_id      text        NOT NULL,
  ins             text        NOT NULL,
  kept_patient_id text        NOT NULL,
  listed_at       timestamptz NOT NULL DEFAULT now(),
  resolved_at     timestamptz,
  resolution      text,
  PRIMARY KEY (patient_id, ins)
);

-- Existing data may hold duplicates: keep, per INS, the oldest record still open (else the oldest closed one) and
-- list the others instead of failing.
WITH held AS (
  SELECT DISTINCT k.ins, a.patient_id, a.closed,
         coalesce((SELECT min(h.last_updated) FROM resource_history h WHERE h.type = 'Patient' AND h.id = a.patient_id), r.last_updated) AS created
    FROM access_record a
    JOIN resource r ON r.type = 'Patient' AND r.id = a.patient_id AND NOT r.deleted
    CROSS JOIN LATERAL unnest(a.ins) AS k(ins)
   WHERE position('|' in k.ins) = 0
), ranked AS (
  SELECT ins, patient_id,
         row_number() OVER (PARTITION BY ins ORDER BY closed, created, patient_id) AS n,
         first_value(patient_id) OVER (PARTITION BY ins ORDER BY closed, created, patient_id) AS kept
    FROM held
), kept AS (
  INSERT INTO record_ins (ins, patient_id) SELECT ins, patient_id FROM ranked WHERE n = 1 RETURNING 1
)
INSERT INTO identity_duplicate (patient_id, ins, kept_patient_id)
SELECT patient_id, ins, kept FROM ranked WHERE n > 1;
