import type { Coding } from '@medplum/fhirtypes';
import { CLASS_CODE_SYSTEM } from './code-systems';

/** IHE format codes (formatcode CodeSystem used by the PDSm examples). */
const IHE_FORMAT_SYSTEM = 'http://ihe.net/fhir/ihe.formatcode.fhir/CodeSystem/formatcode';
/** ANS TRE_A06 FormatCodeComplementaire (the `urn:asip:ci-sis:*` codes). */
const ANS_FORMAT_SYSTEM = 'urn:oid:1.2.250.1.213.1.1.4.2.282';

/** What the document's model templateId says about it (DMP-CONTRACT §5 table). */
export interface DocumentKind {
  format: string;
  /** TRE_A03 class code. */
  classCode: string;
  /** Imaging report: studies from the serviceEvent UIDs; structured ones also a DiagnosticReport with the conclusion. */
  imaging?: boolean;
}

/** Model templateId → format and class; first match in document order of this table wins. */
const KINDS: [templateId: string, kind: DocumentKind][] = [
  ['1.2.250.1.213.1.1.1.55', { format: 'urn:ihe:lab:xd-lab:2008', classCode: '10' }],
  ['1.3.6.1.4.1.19376.1.3.3', { format: 'urn:ihe:lab:xd-lab:2008', classCode: '10' }],
  ['1.2.250.1.213.1.1.1.45', { format: 'urn:ihe:rad:CDA:ImagingReportStructuredHeadings:2013', classCode: '10', imaging: true }],
  ['1.2.840.10008.9.1', { format: 'urn:ihe:rad:CDA:ImagingReportStructuredHeadings:2013', classCode: '10', imaging: true }],
  ['1.2.250.1.213.1.1.1.29', { format: 'urn:asip:ci-sis:ldl-ses:2017', classCode: '10' }],
  ['1.2.250.1.213.1.1.1.21', { format: 'urn:asip:ci-sis:ldl-ees:2017', classCode: '10' }],
  ['1.2.250.1.213.1.1.1.36', { format: 'urn:asip:ci-sis:hr:2019', classCode: '60' }],
  ['1.2.250.1.213.1.1.1.13', { format: 'urn:asip:ci-sis:vsm:2012', classCode: '11' }],
  ['1.2.250.1.213.1.1.1.51', { format: 'urn:ihe:pcc:ips:2020', classCode: '11' }],
  ['2.16.840.1.113883.10.22.1.1', { format: 'urn:ihe:pcc:ips:2020', classCode: '11' }],
  ['1.2.250.1.213.1.1.1.37', { format: 'urn:asip:ci-sis:vac:2019', classCode: '11' }],
  ['1.2.250.1.213.1.1.1.46', { format: 'urn:asip:ci-sis:vac-note:2021', classCode: '10' }],
  ['1.3.6.1.4.1.19376.1.9.1.1.1', { format: 'urn:ihe:pharm:pre:2010', classCode: '42' }],
  // IHE PHARM DIS (CI-SIS eDISP): TRE_A03 43 "Dispensation".
  ['1.3.6.1.4.1.19376.1.9.1.1.3', { format: 'urn:ihe:pharm:dis:2010', classCode: '43' }],
  // CI-SIS child health certificates (CSE): one format per certificate, TRE_A03 52 "Certificat, déclaration".
  ['1.2.250.1.213.1.1.1.5.1', { format: 'urn:asip:ci-sis:cse-cs8:2017', classCode: '52' }],
  ['1.2.250.1.213.1.1.1.5.2', { format: 'urn:asip:ci-sis:cse-cs9:2017', classCode: '52' }],
  ['1.2.250.1.213.1.1.1.5.3', { format: 'urn:asip:ci-sis:cse-cs24:2017', classCode: '52' }],
  ['2.16.840.1.113883.10.20.22.1.2', { format: 'urn:hl7-org:sdwg:ccda-structuredBody:2.1', classCode: '11' }],
  ['2.16.840.1.113883.10.20.22.1.10', { format: 'urn:hl7-org:sdwg:ccda-nonXMLBody:2.1', classCode: '10' }],
  ['2.16.840.1.113883.10.20.22.1.1', { format: 'urn:hl7-org:sdwg:ccda-structuredBody:2.1', classCode: '10' }],
];

/**
 * Document types whose TRE_A03 class is known without a model templateId (level-1 documents), after the ANS
 * correspondence type → class (ASS_X04): a dispensation is 43, a certificate 52, whatever its model.
 */
const CLASS_BY_TYPE: Record<string, string> = {
  '11502-2': '10', '18748-4': '10', '11490-0': '10', '34133-9': '11', '60591-5': '11', '57833-6': '42', REMB: '60', SYNTH: '11',
  '60593-1': '43', CERT_DECL: '52',
};
/** Format codes (JDV_J60) a type implies when no model templateId says it (a model-less dispensation still is DIS). */
const FORMAT_BY_TYPE: Record<string, string> = { '60593-1': 'urn:ihe:pharm:dis:2010' };
/** C-CDA R2.1 Unstructured Document. */
const CCDA_UNSTRUCTURED = '2.16.840.1.113883.10.20.22.1.10';
/** Imaging report types: their serviceEvent ids are Study Instance UIDs, level-1 (PDF) reports included. */
const IMAGING_TYPES = new Set(['18748-4']);

/** The kind of a document from its templateIds, level-1 media type and type code. */
export function documentKindOf(templateIds: string[], nonXmlMediaType: string | undefined, typeCode: string | undefined): DocumentKind {
  const classFromType = (typeCode && CLASS_BY_TYPE[typeCode]) || '10';
  // A C-CDA R2.1 Unstructured Document names its own format (HL7 format code); other level-1 bodies are IHE XDS-SD.
  if (nonXmlMediaType && templateIds.includes(CCDA_UNSTRUCTURED)) return { format: 'urn:hl7-org:sdwg:ccda-nonXMLBody:2.1', classCode: classFromType };
  if (nonXmlMediaType) {
    const format = nonXmlMediaType === 'application/pdf' ? 'urn:ihe:iti:xds-sd:pdf:2008' : 'urn:ihe:iti:xds-sd:text:2008';
    return { format, classCode: classFromType, ...(typeCode && IMAGING_TYPES.has(typeCode) ? { imaging: true } : {}) };
  }
  for (const [templateId, kind] of KINDS) {
    if (templateIds.includes(templateId)) return { ...kind, classCode: CLASS_BY_TYPE[typeCode ?? ''] ?? kind.classCode };
  }
  return { format: (typeCode && FORMAT_BY_TYPE[typeCode]) || 'urn:ihe:iti:xds:2017:mimeTypeSufficient', classCode: classFromType };
}

/** The format code as a Coding in the right system (ANS codes vs IHE/HL7 codes). */
export function formatCoding(format: string): Coding {
  return { system: format.startsWith('urn:asip:') ? ANS_FORMAT_SYSTEM : IHE_FORMAT_SYSTEM, code: format };
}

const CLASS_DISPLAY: Record<string, string> = {
  '10': 'Compte rendu', '11': 'Synthèse', '31': 'Imagerie médicale', '42': 'Prescription', '43': 'Dispensation',
  '52': 'Certificat, déclaration', '60': 'Données de remboursement',
};

/** The TRE_A03 class code as a Coding. */
export function classCoding(code: string): Coding {
  const coding: Coding = { system: CLASS_CODE_SYSTEM, code };
  if (CLASS_DISPLAY[code]) coding.display = CLASS_DISPLAY[code];
  return coding;
}
