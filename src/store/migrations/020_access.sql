-- Access-control tables derived from Consent, Patient and RelatedPerson writes (maintained by the access
-- module's afterWrite hook inside the same transaction). The access predicate reads these small indexed
-- tables instead of digging into Consent JSON for every row.

-- One row per rule stated by an ACTIVE Consent (withdrawn or deleted Consents have none).
-- kind: open | permit | deny | mask | refuse; actor_key: `Practitioner/<id>` or `<system>|<value>`.
CREATE TABLE access_consent (
  consent_id   text NOT NULL,
  patient_id   text NOT NULL,
  kind         text NOT NULL CHECK (kind IN ('open', 'permit', 'deny', 'mask', 'refuse')),
  actor_key    text,
  purpose      text,
  doc_id       text,
  period_start timestamptz,
  period_end   timestamptz
);
CREATE INDEX access_consent_by_consent ON access_consent (consent_id);
CREATE INDEX access_consent_actor ON access_consent (patient_id, kind, actor_key);
CREATE INDEX access_consent_doc ON access_consent (patient_id, doc_id) WHERE kind = 'mask';

-- Record state from the Patient resource: closed = Patient.active false (DMP closure); treating = the keys of
-- Patient.generalPractitioner (the treating physician, who always has access while he holds that status).
CREATE TABLE access_record (
  patient_id text PRIMARY KEY,
  closed     boolean NOT NULL DEFAULT false,
  ins        text[]  NOT NULL DEFAULT '{}',
  treating   text[]  NOT NULL DEFAULT '{}'
);
CREATE INDEX access_record_ins ON access_record USING gin (ins);

-- Legal guardians (RelatedPerson with a parent/guardian relationship) act as the patient of a minor.
CREATE TABLE access_guardian (
  related_person_id text PRIMARY KEY,
  patient_id        text NOT NULL
);

-- Resolving a token's RPPS to Practitioner ids, or an INS to Patient ids, once per request.
CREATE INDEX resource_practitioner_content ON resource USING gin (content jsonb_path_ops) WHERE type IN ('Practitioner', 'Patient');
