import type { DocumentReference, Patient, Practitioner } from '@medplum/fhirtypes';
import { slot, type TemplateSpec } from './templates';

/**
 * Realistic DMP resources as templates: the French INS and RPPS identifiers, LOINC document types with their
 * DMP class codes, confidentiality labels, attachment pointing at a Binary, context period and facility.
 * Slots (`slot('PAT')` …) vary per row; dates move by the row's shift.
 */

const INS_NIR = 'urn:oid:1.2.250.1.213.1.4.8';
const RPPS = 'urn:oid:1.2.250.1.71.4.2.1';
const CONFIDENTIALITY = 'http://terminology.hl7.org/CodeSystem/v3-Confidentiality';
const DMP_CONFIDENTIALITY = 'urn:oid:1.2.250.1.213.1.1.4.13';
const MHD_COMPREHENSIVE = 'https://profiles.ihe.net/ITI/MHD/StructureDefinition/IHE.MHD.Comprehensive.DocumentReference';
/** Reference instant of the templates; rows shift their dates from it. */
export const TEMPLATE_EPOCH = '2020-01-01T00:00:00.000Z';
const EPOCH_MS = Date.parse(TEMPLATE_EPOCH);
const iso = (offsetMs: number): string => new Date(EPOCH_MS + offsetMs).toISOString();
const HOUR = 3_600_000;

const FAMILIES = ['Martin', 'Bernard', 'Dubois', 'Thomas', 'Robert', 'Richard', 'Petit', 'Durand', 'Leroy', 'Moreau', 'Simon', 'Laurent', 'Lefèvre', 'Michel', 'Garcia', 'Béranger'];
const GIVENS_F = ['Marie', 'Camille', 'Léa', 'Chloé', 'Inès', 'Hélène', 'Zoé', 'Élodie'];
const GIVENS_M = ['Jean', 'Lucas', 'Hugo', 'Théo', 'Louis', 'Noé', 'Raphaël', 'Jérôme'];
const CITIES = [['Paris', '75011'], ['Lyon', '69003'], ['Marseille', '13005'], ['Lille', '59000'], ['Nantes', '44000'], ['Besançon', '25000']];

/** Number of distinct Patient templates (name, sex, city combinations). */
export const PATIENT_TEMPLATES = FAMILIES.length * 8 * 2;

/** The Patient template number k (< PATIENT_TEMPLATES). Slots: ID, INS, IPP, GP. */
export function patientTemplate(k: number): TemplateSpec {
  const female = k % 2 === 0;
  const family = FAMILIES[Math.floor(k / 16) % FAMILIES.length];
  const given = (female ? GIVENS_F : GIVENS_M)[Math.floor(k / 2) % 8];
  const [city, postalCode] = CITIES[k % CITIES.length];
  const birthDate = '1960-01-01';
  const patient: Patient = {
    resourceType: 'Patient',
    id: slot('ID'),
    meta: { versionId: '1', lastUpdated: TEMPLATE_EPOCH, profile: ['https://dmp-fhir-adapter.org/fhir/StructureDefinition/dmp-patient'] },
    identifier: [
      { use: 'official', type: { coding: [{ system: 'https://hl7.fr/ig/fhir/core/CodeSystem/fr-core-cs-v2-0203', code: 'INS-NIR' }] }, system: INS_NIR, value: slot('INS') },
      { use: 'usual', type: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0203', code: 'PI' }] }, system: 'urn:oid:1.2.250.1.71.4.2.7', value: slot('IPP') },
    ],
    active: true,
    name: [{ use: 'official', family, given: [given] }],
    gender: female ? 'female' : 'male',
    birthDate,
    address: [{ use: 'home', line: ['12 rue de la République'], city, postalCode, country: 'FR' }],
    generalPractitioner: [{ reference: `Practitioner/${slot('GP')}` }],
  };
  return { resource: patient, dates: [birthDate] };
}

/** The Practitioner template number k. Slots: ID, RPPS. */
export function practitionerTemplate(k: number): TemplateSpec {
  const practitioner: Practitioner = {
    resourceType: 'Practitioner',
    id: slot('ID'),
    meta: { versionId: '1', lastUpdated: TEMPLATE_EPOCH },
    identifier: [{ system: RPPS, value: slot('RPPS') }],
    name: [{ family: FAMILIES[k % FAMILIES.length], given: [GIVENS_M[k % 8]], prefix: ['Dr'] }],
  };
  return { resource: practitioner, dates: [] };
}

interface DocumentKind {
  loinc: string;
  display: string;
  classCode: string;
  classDisplay: string;
  facility: string;
  setting: string;
  contentType: string;
  format: string;
}

const KINDS: DocumentKind[] = [
  { loinc: '11502-2', display: 'CR d\'examens biologiques', classCode: '10', classDisplay: 'Compte rendu', facility: 'SA08', setting: 'ETABLISSEMENT', contentType: 'text/xml', format: 'urn:asip:ci-sis:cr-bio:2018' },
  { loinc: '18748-4', display: 'CR d\'imagerie médicale', classCode: '10', classDisplay: 'Compte rendu', facility: 'SA05', setting: 'ETABLISSEMENT', contentType: 'text/xml', format: 'urn:asip:ci-sis:cr-img:2019' },
  { loinc: '11490-0', display: 'Lettre de liaison à la sortie', classCode: '10', classDisplay: 'Compte rendu', facility: 'SA01', setting: 'ETABLISSEMENT', contentType: 'text/xml', format: 'urn:asip:ci-sis:ldl-ses:2019' },
  { loinc: '11488-4', display: 'CR de consultation', classCode: '10', classDisplay: 'Compte rendu', facility: 'SA29', setting: 'CABINET', contentType: 'application/pdf', format: 'urn:ihe:iti:xds-sd:pdf:2008' },
  { loinc: '57833-6', display: 'Prescription de produits de santé', classCode: '30', classDisplay: 'Traitement', facility: 'SA29', setting: 'CABINET', contentType: 'application/pdf', format: 'urn:ihe:iti:xds-sd:pdf:2008' },
  { loinc: '60591-5', display: 'Synthèse', classCode: '60', classDisplay: 'Synthèse', facility: 'SA29', setting: 'CABINET', contentType: 'text/xml', format: 'urn:asip:ci-sis:vsm:2018' },
];

/** Confidentiality variants, drawn with the weights of `pickConfidentiality`. */
const CONFIDENTIALITIES = ['N', 'R', 'V', 'MASQUE_PS'] as const;

/** Number of distinct DocumentReference templates (kind × confidentiality). */
export const DOCUMENT_TEMPLATES = KINDS.length * CONFIDENTIALITIES.length;

/** The template number for a kind draw and a confidentiality draw, both in [0, 1). */
export function documentTemplateIndex(kindDraw: number, confidentialityDraw: number): number {
  const kind = Math.floor(kindDraw * KINDS.length);
  // 85% normal, 8% restricted, 2% very restricted, 5% masked from professionals.
  const c = confidentialityDraw < 0.85 ? 0 : confidentialityDraw < 0.93 ? 1 : confidentialityDraw < 0.95 ? 2 : 3;
  return kind * CONFIDENTIALITIES.length + c;
}

/** The DocumentReference template number k. Slots: ID, PAT, PRAC, RPPS, MID. */
export function documentTemplate(k: number): TemplateSpec {
  const kind = KINDS[Math.floor(k / CONFIDENTIALITIES.length) % KINDS.length];
  const confidentiality = CONFIDENTIALITIES[k % CONFIDENTIALITIES.length];
  const date = iso(-2 * HOUR);
  const start = iso(-30 * HOUR);
  const end = iso(-6 * HOUR);
  const doc: DocumentReference = {
    resourceType: 'DocumentReference',
    id: slot('ID'),
    meta: {
      versionId: '1',
      lastUpdated: TEMPLATE_EPOCH,
      profile: [MHD_COMPREHENSIVE],
      ...(confidentiality === 'MASQUE_PS' ? { security: [{ system: DMP_CONFIDENTIALITY, code: 'MASQUE_PS' }] } : {}),
    },
    masterIdentifier: { system: 'urn:ietf:rfc:3986', value: `urn:oid:1.2.250.1.213.1.1.9.${slot('MID')}` },
    identifier: [{ use: 'official', system: 'urn:ietf:rfc:3986', value: `urn:uuid:${slot('ID')}` }],
    status: 'current',
    type: { coding: [{ system: 'http://loinc.org', code: kind.loinc, display: kind.display }] },
    category: [{ coding: [{ system: 'urn:oid:1.2.250.1.213.1.1.4.1', code: kind.classCode, display: kind.classDisplay }] }],
    subject: { reference: `Patient/${slot('PAT')}` },
    date,
    author: [
      { reference: `Practitioner/${slot('PRAC')}` },
      { identifier: { system: RPPS, value: slot('RPPS') } },
    ],
    securityLabel: [{ coding: [{ system: CONFIDENTIALITY, code: confidentiality === 'MASQUE_PS' ? 'N' : confidentiality }] }],
    content: [{
      attachment: { contentType: kind.contentType, language: 'fr-FR', url: `Binary/${slot('ID')}`, size: 48213, hash: 'Zm9vYmFyYmF6cXV4cXV1eA==', title: kind.display, creation: date },
      format: { system: 'urn:oid:1.3.6.1.4.1.19376.1.2.3', code: kind.format },
    }],
    context: {
      period: { start, end },
      facilityType: { coding: [{ system: 'urn:oid:1.2.250.1.71.4.2.4', code: kind.facility }] },
      practiceSetting: { coding: [{ system: 'urn:oid:1.2.250.1.213.1.1.4.9', code: kind.setting }] },
      sourcePatientInfo: { reference: `Patient/${slot('PAT')}` },
    },
  };
  return { resource: doc, dates: [date, start, end] };
}
