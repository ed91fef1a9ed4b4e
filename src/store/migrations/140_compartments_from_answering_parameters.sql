-- Compartments of the rows written while `patient` had no index rows of its own (migration 130): the compartment
-- was looked up among `patient` rows, found none, and the row was stored with no compartment. Such rows are no
-- longer readable by anyone (directory access is granted by type since issue 11); this gives them back to their
-- record: the first Patient named through the type's Patient CompartmentDefinition paths, read from the rows of
-- the parameters that answer them (access/resource-classes.ts COMPARTMENT_TYPES, fhir/search/param-sources.ts).
WITH paths(type, params) AS (VALUES
  ('AllergyIntolerance', ARRAY['patient', 'recorder', 'asserter']),
  ('CarePlan', ARRAY['subject', 'performer']),
  ('CareTeam', ARRAY['subject', 'participant']),
  ('Communication', ARRAY['subject', 'sender', 'recipient']),
  ('Condition', ARRAY['subject', 'asserter']),
  ('Consent', ARRAY['patient']),
  ('DiagnosticReport', ARRAY['subject']),
  ('DocumentReference', ARRAY['subject', 'author']),
  ('Encounter', ARRAY['subject']),
  ('Flag', ARRAY['subject']),
  ('Goal', ARRAY['subject']),
  ('ImagingStudy', ARRAY['subject']),
  ('Immunization', ARRAY['patient']),
  ('List', ARRAY['subject', 'source']),
  ('MedicationDispense', ARRAY['subject', 'receiver']),
  ('MedicationRequest', ARRAY['subject']),
  ('MedicationStatement', ARRAY['subject']),
  ('Observation', ARRAY['subject', 'performer']),
  ('Procedure', ARRAY['subject', 'performer']),
  ('RelatedPerson', ARRAY['patient']),
  ('Specimen', ARRAY['subject'])
), found AS (
  SELECT r.rid, (SELECT x.target_id FROM idx_reference x
                 WHERE x.rid = r.rid AND x.target_type = 'Patient' AND x.param = ANY(p.params)
                 ORDER BY array_position(p.params, x.param), x.target_id LIMIT 1) AS patient_id
  FROM resource r JOIN paths p ON p.type = r.type
  WHERE r.compartment IS NULL
)
UPDATE resource r SET compartment = f.patient_id FROM found f WHERE r.rid = f.rid AND f.patient_id IS NOT NULL;
