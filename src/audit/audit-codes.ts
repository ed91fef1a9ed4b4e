import type { Coding } from '@medplum/fhirtypes';

/** Code systems and fixed codings of the IHE BALP AuditEvent shapes (FHIR R4 AuditEvent). */
export const SYSTEM = {
  eventType: 'http://terminology.hl7.org/CodeSystem/audit-event-type',
  dicom: 'http://dicom.nema.org/resources/ontology/DCM',
  restfulInteraction: 'http://hl7.org/fhir/restful-interaction',
  action: 'http://hl7.org/fhir/audit-event-action',
  outcome: 'http://terminology.hl7.org/CodeSystem/audit-event-outcome',
  actReason: 'http://terminology.hl7.org/CodeSystem/v3-ActReason',
  securityRoleType: 'http://terminology.hl7.org/CodeSystem/extra-security-role-type',
  roleClass: 'http://terminology.hl7.org/CodeSystem/v3-RoleClass',
  sourceType: 'http://terminology.hl7.org/CodeSystem/security-source-type',
  entityType: 'http://terminology.hl7.org/CodeSystem/audit-entity-type',
  objectRole: 'http://terminology.hl7.org/CodeSystem/object-role',
  networkType: 'http://hl7.org/fhir/network-type',
  /** IdNat_PS: RPPS-based national identifier of a health professional (value prefixed with 8). */
  idNatPs: 'urn:oid:1.2.250.1.71.4.2.1',
  /** IdNat_Struct: national identifier of a healthcare organisation. */
  idNatStruct: 'urn:oid:1.2.250.1.71.4.2.2',
  /** INS-NIR, the patient's national health identifier. */
  insNir: 'urn:oid:1.2.250.1.213.1.4.8',
} as const;

/** Our extension carrying the hash chain link (previous hash and position) of each AuditEvent. */
export const CHAIN_EXTENSION_URL = 'https://dmp-fhir-adapter.org/fhir/StructureDefinition/audit-hash-chain';

/** Hash of the (virtual) event before the first one of a chain. */
export const GENESIS_HASH = '0'.repeat(64);

// Frozen: events are built around these shared codings without copying them (see audit-event-builder.ts).
const coding = (system: string, code: string, display: string): Coding => Object.freeze({ system, code, display });

export const TYPE_REST: Coding = coding(SYSTEM.eventType, 'rest', 'Restful Operation');
export const TYPE_LOGIN: Coding = coding(SYSTEM.dicom, '110114', 'User Authentication');
export const SUBTYPE_LOGIN: Coding = coding(SYSTEM.dicom, '110122', 'Login');
/** outcomeDesc of a sign-in by the authorization server's sign-in session (no password typed: src/smart/sign-in-sessions.ts). */
export const LOGIN_BY_SESSION = 'signed in with the sign-in session (password and code typed earlier in this browser)';
/** Account procedures (activation, password reset, contact change): DICOM "Security Alert" / "User Security Attributes Changed". */
export const TYPE_SECURITY_ALERT: Coding = coding(SYSTEM.dicom, '110113', 'Security Alert');
export const SUBTYPE_USER_SECURITY_ATTRIBUTES: Coding = coding(SYSTEM.dicom, '110137', 'User Security Attributes Changed');

export const AGENT_USER: Coding = coding(SYSTEM.securityRoleType, 'humanuser', 'human user');
export const AGENT_CLIENT: Coding = coding(SYSTEM.dicom, '110153', 'Source Role ID');
export const AGENT_SERVER: Coding = coding(SYSTEM.dicom, '110152', 'Destination Role ID');
export const AGENT_ORGANIZATION: Coding = coding(SYSTEM.roleClass, 'PROV', 'healthcare provider');

export const SOURCE_APP_SERVER: Coding = coding(SYSTEM.sourceType, '4', 'Application Server');

export const ENTITY_PERSON: Coding = coding(SYSTEM.entityType, '1', 'Person');
export const ENTITY_SYSTEM_OBJECT: Coding = coding(SYSTEM.entityType, '2', 'System Object');
export const ROLE_PATIENT: Coding = coding(SYSTEM.objectRole, '1', 'Patient');
export const ROLE_DOMAIN_RESOURCE: Coding = coding(SYSTEM.objectRole, '4', 'Domain Resource');
export const ROLE_QUERY: Coding = coding(SYSTEM.objectRole, '24', 'Query');

/** Purposes of use we name (HL7 v3 ActReason). */
export const PURPOSE_DISPLAY: Record<string, string> = {
  TREAT: 'treatment',
  ETREAT: 'emergency treatment',
  BTG: 'break the glass',
  PATRQT: 'patient requested',
  HOPERAT: 'healthcare operations',
};

/** Outcome codes of R4 AuditEvent.outcome. */
export const OUTCOME = { success: '0', minorFailure: '4', seriousFailure: '8' } as const;
export type OutcomeCode = (typeof OUTCOME)[keyof typeof OUTCOME];
