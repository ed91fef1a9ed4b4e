/** OIDs of code and identifier systems that have an official FHIR URI; the others stay `urn:oid:<oid>`. */
const OID_TO_URI: Record<string, string> = {
  '2.16.840.1.113883.6.1': 'http://loinc.org',
  '2.16.840.1.113883.6.96': 'http://snomed.info/sct',
  '2.16.840.1.113883.6.8': 'http://unitsofmeasure.org',
  '2.16.840.1.113883.6.73': 'http://www.whocc.no/atc',
  '2.16.840.1.113883.6.88': 'http://www.nlm.nih.gov/research/umls/rxnorm',
  '2.16.840.1.113883.12.292': 'http://hl7.org/fhir/sid/cvx',
  '2.16.840.1.113883.6.3': 'http://hl7.org/fhir/sid/icd-10',
  '2.16.840.1.113883.6.90': 'http://hl7.org/fhir/sid/icd-10-cm',
  '2.16.840.1.113883.6.69': 'http://hl7.org/fhir/sid/ndc',
  '2.16.840.1.113883.6.12': 'http://www.ama-assn.org/go/cpt',
  '2.16.840.1.113883.6.101': 'http://nucc.org/provider-taxonomy',
  '2.16.840.1.113883.5.1': 'http://terminology.hl7.org/CodeSystem/v3-AdministrativeGender',
  '2.16.840.1.113883.5.4': 'http://terminology.hl7.org/CodeSystem/v3-ActCode',
  '2.16.840.1.113883.5.6': 'http://terminology.hl7.org/CodeSystem/v3-ActClass',
  '2.16.840.1.113883.5.14': 'http://terminology.hl7.org/CodeSystem/v3-ActStatus',
  '2.16.840.1.113883.5.25': 'http://terminology.hl7.org/CodeSystem/v3-Confidentiality',
  '2.16.840.1.113883.5.83': 'http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation',
  '2.16.840.1.113883.5.111': 'http://terminology.hl7.org/CodeSystem/v3-RoleCode',
  '2.16.840.1.113883.5.112': 'http://terminology.hl7.org/CodeSystem/v3-RouteOfAdministration',
  '2.16.840.1.113883.5.1070': 'http://terminology.hl7.org/CodeSystem/v3-substanceAdminSubstitution',
  '2.16.840.1.113883.5.1063': 'http://terminology.hl7.org/CodeSystem/v3-ObservationValue',
  '2.16.840.1.113883.5.1076': 'http://terminology.hl7.org/CodeSystem/v3-ReligiousAffiliation',
  '2.16.840.1.113883.1.11.19185': 'http://terminology.hl7.org/CodeSystem/v3-Ethnicity',
  '2.16.840.1.113883.6.238': 'urn:oid:2.16.840.1.113883.6.238',
  '1.2.840.10008.2.16.4': 'http://dicom.nema.org/resources/ontology/DCM',
  '2.16.840.1.113883.4.6': 'http://hl7.org/fhir/sid/us-npi',
  '2.16.840.1.113883.4.1': 'http://hl7.org/fhir/sid/us-ssn',
  '2.16.840.1.113883.5.1150.1': 'http://hl7.org/fhir/uv/ips/CodeSystem/absent-unknown-uv-ips',
};

/** The FHIR system URI of an OID (or of a UUID used as a CDA root). */
export function systemOf(oid: string): string {
  const known = OID_TO_URI[oid];
  if (known) return known;
  return isUuid(oid) ? `urn:uuid:${oid.toLowerCase()}` : `urn:oid:${oid}`;
}

/** True when a CDA `root` is a UUID rather than an OID. */
export function isUuid(root: string): boolean {
  return /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/.test(root);
}

/** INS systems (NIR, NIA, test NIR, demo NIR) in the order a patient is looked up by. */
export const INS_OIDS = ['1.2.250.1.213.1.4.8', '1.2.250.1.213.1.4.9', '1.2.250.1.213.1.4.10', '1.2.250.1.213.1.4.11'];
/** IdNat_PS: national identifier of a health professional. */
export const IDNAT_PS_OID = '1.2.250.1.71.4.2.1';
/** IdNat_Struct: national identifier of a care organisation. */
export const IDNAT_STRUCT_OID = '1.2.250.1.71.4.2.2';
/** TRE_A03 ClasseDocument (DocumentReference.category). */
export const CLASS_CODE_SYSTEM = 'urn:oid:1.2.250.1.213.1.1.4.1';
/** Base of the URLs of this server's own extensions and identifier systems. */
export const ADAPTER_BASE = 'https://dmp-fhir-adapter.org/fhir';
/** Extension linking an extracted resource to the DocumentReference of its source document. */
export const SOURCE_DOCUMENT_EXTENSION = `${ADAPTER_BASE}/StructureDefinition/source-document`;
/** Extension keeping the CDA setId (version chain) on the DocumentReference. */
export const SET_ID_EXTENSION = `${ADAPTER_BASE}/StructureDefinition/cda-set-id`;
/** Extension keeping the CDA versionNumber on the DocumentReference. */
export const VERSION_NUMBER_EXTENSION = `${ADAPTER_BASE}/StructureDefinition/cda-version-number`;
/** Identifier system of extracted resources: value `<document id>#<entry key>`. */
export const CDA_ENTRY_SYSTEM = `${ADAPTER_BASE}/sid/cda-entry`;
