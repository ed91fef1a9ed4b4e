/**
 * The classification of every resource type the server offers (DESIGN §5, issue 11). A type that is not in this
 * table is not offered: the router answers 404, the CapabilityStatement does not list it, and the access decision
 * refuses it. Closed by default: adding a type to the server means deciding here which rules govern it.
 *
 * - `clinical`: patient-compartment data. Each row is tied to exactly one local Patient at write, from the official
 *   Patient CompartmentDefinition paths (`subject`, `patient`, `performer` …); one that names none is refused (422).
 *   Consent decides who reads it.
 * - `directory`: shared reference data with no patient (who the professionals and organisations are, what a
 *   medication is). Readable by every actor allowed to read at all; written only by the document importer (server
 *   context) and by directory administrators, never by ordinary actors: directory entries once granted access.
 * - `record`: the management of one patient's record (the Patient itself, its consents, guardians, the audit trail,
 *   messages). Tied to one Patient like clinical data; each type has its own write rules (`write-rules.ts`).
 */
export type ResourceClass = 'clinical' | 'directory' | 'record';

export const RESOURCE_CLASSES: Readonly<Record<string, ResourceClass>> = Object.freeze({
  // Clinical data of the patient compartment: what documents carry and what professionals and the patient add.
  AllergyIntolerance: 'clinical',
  Binary: 'clinical', // governed by its DocumentReference (securityContext), or by a Patient named as securityContext
  CarePlan: 'clinical',
  CareTeam: 'clinical',
  Condition: 'clinical',
  DiagnosticReport: 'clinical',
  DocumentReference: 'clinical',
  Encounter: 'clinical',
  Flag: 'clinical',
  Goal: 'clinical',
  ImagingStudy: 'clinical',
  Immunization: 'clinical',
  List: 'clinical', // MHD SubmissionSets, follow-up lists
  MedicationDispense: 'clinical',
  MedicationRequest: 'clinical',
  MedicationStatement: 'clinical',
  Observation: 'clinical',
  Procedure: 'clinical',
  Specimen: 'clinical',
  // Directory: no patient, written by the importer and directory administrators.
  Practitioner: 'directory',
  PractitionerRole: 'directory',
  Organization: 'directory',
  Location: 'directory',
  HealthcareService: 'directory',
  Endpoint: 'directory',
  Medication: 'directory',
  Substance: 'directory',
  DeviceDefinition: 'directory',
  // Management of the record.
  Patient: 'record',
  Consent: 'record',
  RelatedPerson: 'record',
  AuditEvent: 'record',
  Communication: 'record',
});

/** The class of a resource type, or undefined when the server does not offer it. */
export function classOf(type: string): ResourceClass | undefined {
  return Object.prototype.hasOwnProperty.call(RESOURCE_CLASSES, type) ? RESOURCE_CLASSES[type] : undefined;
}

/** Every offered resource type, sorted. */
export const OFFERED_TYPES: readonly string[] = Object.freeze(Object.keys(RESOURCE_CLASSES).sort());

/** Offered types of one class. */
export function typesOfClass(kind: ResourceClass): string[] {
  return OFFERED_TYPES.filter((t) => RESOURCE_CLASSES[t] === kind);
}

/** Directory types: rows with no compartment that every reading actor may see. */
export const DIRECTORY_TYPES: readonly string[] = Object.freeze(typesOfClass('directory'));

/**
 * Types that must be tied to one local Patient when written through the API (clinical and record types). AuditEvents
 * are written by the server alone, outside the API, and may concern no patient (a refused request, a login).
 */
export const COMPARTMENT_TYPES: readonly string[] = Object.freeze(OFFERED_TYPES.filter((t) => RESOURCE_CLASSES[t] !== 'directory' && t !== 'AuditEvent'));

/** Interactions each offered type really supports (the CapabilityStatement lists exactly these). */
export function supportedInteractions(type: string): string[] {
  const reads = ['read', 'vread', 'history-instance', 'history-type', 'search-type'];
  // An event never changes: its instance history is its one version (served, as vread is); a type-wide history
  // would be the trail again, unpaged by date, so it is not offered.
  if (type === 'AuditEvent') return ['read', 'vread', 'history-instance', 'search-type'];
  if (type === 'Patient') return [...reads, 'create', 'update', 'patch'];
  return [...reads, 'create', 'update', 'patch', 'delete'];
}
