-- Parameters answered by other parameters' rows (fhir/search/param-sources.ts: unions such as Observation
-- combo-code, references restricted to one type such as patient = subject of type Patient) are no longer indexed
-- and never read: their rows written before go. The list is what findParamSources answers for the R4 definitions.
DELETE FROM idx_reference WHERE (type, param) IN (
  ('Account', 'patient'), ('Appointment', 'location'), ('Appointment', 'patient'), ('Appointment', 'practitioner'), ('AppointmentResponse', 'location'), ('AppointmentResponse', 'patient'),
  ('AppointmentResponse', 'practitioner'), ('Basic', 'patient'), ('CarePlan', 'patient'), ('CareTeam', 'patient'), ('ChargeItem', 'patient'), ('ClinicalImpression', 'patient'),
  ('Communication', 'patient'), ('CommunicationRequest', 'patient'), ('Composition', 'patient'), ('Condition', 'patient'), ('Contract', 'patient'), ('DeviceRequest', 'patient'),
  ('DiagnosticReport', 'patient'), ('DocumentManifest', 'patient'), ('DocumentReference', 'patient'), ('Encounter', 'patient'), ('Encounter', 'practitioner'), ('Flag', 'patient'),
  ('Goal', 'patient'), ('GuidanceResponse', 'patient'), ('ImagingStudy', 'patient'), ('Invoice', 'patient'), ('List', 'patient'), ('MeasureReport', 'patient'),
  ('Media', 'patient'), ('MedicationAdministration', 'patient'), ('MedicationDispense', 'patient'), ('MedicationRequest', 'patient'), ('MedicationStatement', 'patient'), ('Observation', 'patient'),
  ('Person', 'patient'), ('Person', 'practitioner'), ('Person', 'relatedperson'), ('Procedure', 'patient'), ('Provenance', 'patient'), ('QuestionnaireResponse', 'patient'),
  ('RequestGroup', 'patient'), ('RiskAssessment', 'patient'), ('ServiceRequest', 'patient'), ('Specimen', 'patient'), ('Task', 'patient')
);
DELETE FROM idx_token WHERE (type, param) IN (
  ('Observation', 'combo-code'), ('Observation', 'combo-data-absent-reason'), ('Observation', 'combo-value-concept')
);
DELETE FROM idx_quantity WHERE (type, param) IN (
  ('Observation', 'combo-value-quantity')
);
