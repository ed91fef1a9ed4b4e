/** A minimal valid resource of each offered type (required elements only), for tests that alter one element at a time. */
const patient = { reference: 'Patient/p1' };
const concept = { text: 'x' };

const REQUIRED: Record<string, Record<string, unknown>> = {
  AllergyIntolerance: { patient },
  AuditEvent: {
    type: { code: 'rest' },
    recorded: '2024-01-01T00:00:00Z',
    agent: [{ requestor: true }],
    source: { observer: { display: 'dmp-fhir-adapter' } },
  },
  Binary: { contentType: 'text/plain' },
  CarePlan: { subject: patient, status: 'active', intent: 'plan' },
  Communication: { status: 'completed' },
  Condition: { subject: patient },
  Consent: { status: 'active', scope: concept, category: [concept] },
  DiagnosticReport: { status: 'final', code: concept },
  DocumentReference: { status: 'current', subject: patient, content: [{ attachment: { contentType: 'application/pdf', url: 'Binary/1' } }] },
  Encounter: { status: 'finished', class: { code: 'AMB' } },
  Endpoint: { status: 'active', connectionType: { code: 'hl7-fhir-rest' }, payloadType: [concept], address: 'https://example.org/fhir' },
  Flag: { status: 'active', code: concept, subject: patient },
  Goal: { lifecycleStatus: 'active', description: concept, subject: patient },
  ImagingStudy: { status: 'available', subject: patient },
  Immunization: { status: 'completed', vaccineCode: concept, patient, occurrenceDateTime: '2024-01-01' },
  List: { status: 'current', mode: 'working' },
  MedicationDispense: { status: 'completed', medicationCodeableConcept: concept },
  MedicationRequest: { status: 'active', intent: 'order', medicationCodeableConcept: concept, subject: patient },
  MedicationStatement: { status: 'active', medicationCodeableConcept: concept, subject: patient },
  Observation: { status: 'final', code: concept },
  Procedure: { status: 'completed', subject: patient },
  RelatedPerson: { patient },
  Substance: { code: concept },
};

/** The minimal valid resource of a type: its required elements, or nothing but `resourceType` when it has none. */
export function minimalResource(type: string): Record<string, unknown> {
  return { resourceType: type, ...structuredClone(REQUIRED[type] ?? {}) };
}
