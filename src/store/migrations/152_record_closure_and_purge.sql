-- Record life (DESIGN §1: "after closure the data are kept for 10 years and the record can be reactivated").
-- closed_at / closure_reason: when and why the record was closed (NULL while it is open); the Patient shows the
-- same facts in its record-closure extension, which only $close writes. purge_notice_at: when the
-- purge-approaching notice was queued for the current closure (sent once; cleared on reactivation).
ALTER TABLE access_record
  ADD COLUMN closed_at       timestamptz,
  ADD COLUMN closure_reason  text CHECK (closure_reason IN ('patient-request', 'deceased', 'duplicate', 'other')),
  ADD COLUMN purge_notice_at timestamptz;

-- Records closed before this migration: the closure instant is unknown, the current Patient version's
-- last_updated is the latest it can be (the retention then runs from there, never shorter than the law's);
-- the reason stays NULL (unknown).
UPDATE access_record a SET closed_at = r.last_updated
  FROM resource r
  WHERE a.closed AND r.type = 'Patient' AND r.id = a.patient_id;
UPDATE access_record SET closed_at = now() WHERE closed AND closed_at IS NULL;

-- The purge job looks for the records whose retention ends (closed over 10 years ago) or is about to.
CREATE INDEX access_record_closed_at ON access_record (closed_at) WHERE closed;

-- The purge removes a closed record's rows (store/record-purge.ts) but never an AuditEvent: the append-only guard of
-- migration 070 stays as it is, and the purge's statements exclude the AuditEvent rows (and their chain) by design.
