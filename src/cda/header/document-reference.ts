import type { CodeableConcept, DocumentReference, DocumentReferenceContent, Identifier, Patient, Period, PractitionerRole, Reference, Resource } from '@medplum/fhirtypes';
import type { BundleBuilder } from '../bundle-builder';
import { queryValue } from '../bundle-builder';
import { all, at, attr, childrenNamed, findDescendant, textOf } from '../cda-node';
import { SET_ID_EXTENSION, VERSION_NUMBER_EXTENSION } from '../code-systems';
import { readInteger, toCodeableConcept, toDateTimeOf, toIdentifier, toPeriod } from '../datatypes';
import { classCoding, formatCoding, type DocumentKind } from '../document-kinds';
import type { XmlNode } from '../xml-tree';
import { addOrganization, buildRole } from './participants';
import type { DocumentPatient } from './patient';

/** Content type of the stored CDA (what the DMP/XDS mimeType is for CDA documents). */
export const CDA_CONTENT_TYPE = 'text/xml';
const CONFIDENTIALITY_SYSTEM = 'http://terminology.hl7.org/CodeSystem/v3-Confidentiality';
const REFERENCE_ID_TYPE = 'urn:ihe:iti:xds:2013:referenceIdType';

/** Inputs of the DocumentReference besides the CDA header itself. */
export interface DocumentReferenceInput {
  doc: XmlNode;
  kind: DocumentKind;
  masterIdentifier: Identifier;
  patient: DocumentPatient;
  builder: BundleBuilder;
  binaryUrl: string;
  sha1: string;
  size: number;
  /** Extra content entries (embedded PDFs) in document order. */
  extraContent: DocumentReferenceContent[];
  /** ImagingStudy entries by Study Instance UID (imaging reports). */
  studies: Map<string, string>;
}

/** True when an author or authenticator carries one of the recordTarget's identifiers: the patient himself. */
function isThePatient(assigned: XmlNode, patient: DocumentPatient): boolean {
  return childrenNamed(assigned, 'id').map((id) => toIdentifier(id))
    .some((id) => !!id && patient.identifiers.some((p) => p.system === id.system && p.value === id.value));
}

/** CDA header → DocumentReference with the MHD/PDSm metadata (DMP-CONTRACT §5). */
export function buildDocumentReference(input: DocumentReferenceInput): DocumentReference {
  const { doc, builder, patient } = input;
  const contained: Resource[] = [{ ...patient.traits }];
  const authors: Reference<PractitionerRole | Patient>[] = [];
  all(doc, 'author').forEach((author, i) => {
    const assigned = at(author, 'assignedAuthor');
    // A patient who wrote his own document is its Patient author, never a Practitioner carrying his identifier.
    if (assigned && isThePatient(assigned, patient)) {
      authors.push({ reference: patient.reference });
      return;
    }
    const role = assigned && buildRole(builder, assigned, `author-${i + 1}`, at(author, 'functionCode'));
    if (role) {
      contained.push(role);
      authors.push({ reference: `#${role.id}` });
    }
  });
  const dr: DocumentReference = {
    resourceType: 'DocumentReference',
    contained,
    extension: versionExtensions(doc),
    masterIdentifier: input.masterIdentifier,
    status: 'current',
    type: toCodeableConcept(at(doc, 'code')),
    category: [{ coding: [classCoding(input.kind.classCode)] }],
    subject: { reference: patient.reference },
    content: [],
  };
  const date = toDateTimeOf(at(doc, 'effectiveTime'));
  // DocumentReference.date is an instant: only a CDA time with hour and offset fits.
  if (date && date.length > 10) dr.date = date;
  if (authors.length) dr.author = authors;
  const authenticator = at(doc, 'legalAuthenticator/assignedEntity');
  const patientAuthenticates = !!authenticator && isThePatient(authenticator, patient);
  if (patientAuthenticates) dr.authenticator = { reference: patient.reference };
  const authRole = authenticator && !patientAuthenticates && buildRole(builder, authenticator, 'authenticator');
  if (authRole) {
    contained.push(authRole);
    dr.authenticator = { reference: '#authenticator' };
  }
  const custodian = addOrganization(builder, at(doc, 'custodian/assignedCustodian/representedCustodianOrganization'));
  if (custodian) dr.custodian = custodian;
  const relatesTo = replacedDocuments(doc);
  if (relatesTo.length) dr.relatesTo = relatesTo;
  dr.securityLabel = [confidentialityOf(doc)];
  dr.content = [mainContent(input), ...input.extraContent];
  dr.context = buildContext(input, contained);
  return dr;
}

function versionExtensions(doc: XmlNode): DocumentReference['extension'] {
  const extensions: NonNullable<DocumentReference['extension']> = [];
  const setId = toIdentifier(at(doc, 'setId'));
  if (setId) extensions.push({ url: SET_ID_EXTENSION, valueIdentifier: setId });
  const version = readInteger(attr(at(doc, 'versionNumber'), 'value'));
  if (version !== undefined) extensions.push({ url: VERSION_NUMBER_EXTENSION, valueInteger: version });
  return extensions.length ? extensions : undefined;
}

function confidentialityOf(doc: XmlNode): CodeableConcept {
  const code = attr(at(doc, 'confidentialityCode'), 'code') ?? 'N';
  const display: Record<string, string> = { N: 'normal', R: 'restricted', V: 'very restricted' };
  return { coding: [{ system: CONFIDENTIALITY_SYSTEM, code, ...(display[code] ? { display: display[code] } : {}) }] };
}

/** relatedDocument RPLC → relatesTo replaces, target = conditional reference to the parent's id (core resolves). */
function replacedDocuments(doc: XmlNode): NonNullable<DocumentReference['relatesTo']> {
  return childrenNamed(doc, 'relatedDocument')
    .filter((r) => attr(r, 'typeCode') === 'RPLC')
    .map((r) => toIdentifier(at(r, 'parentDocument/id')))
    .filter((id): id is Identifier => !!id)
    .map((id) => ({
      code: 'replaces' as const,
      target: { reference: `DocumentReference?identifier=${queryValue(id.system ?? '')}|${queryValue(id.value ?? '')}`, identifier: id },
    }));
}

function mainContent(input: DocumentReferenceInput): DocumentReferenceContent {
  const { doc } = input;
  const attachment: DocumentReferenceContent['attachment'] = {
    contentType: CDA_CONTENT_TYPE,
    language: attr(at(doc, 'languageCode'), 'code') ?? 'fr-FR',
    url: input.binaryUrl,
    size: input.size,
    hash: input.sha1,
  };
  const title = textOf(at(doc, 'title'));
  if (title) attachment.title = title;
  const creation = toDateTimeOf(at(doc, 'effectiveTime'));
  if (creation) attachment.creation = creation;
  return { attachment, format: formatCoding(input.kind.format) };
}

function buildContext(input: DocumentReferenceInput, contained: Resource[]): NonNullable<DocumentReference['context']> {
  const { doc } = input;
  const events = all(doc, 'documentationOf/serviceEvent');
  const context: NonNullable<DocumentReference['context']> = {};
  const period = mergePeriods(events.map((e) => toPeriod(at(e, 'effectiveTime'))));
  const encounterPeriod = toPeriod(at(doc, 'componentOf/encompassingEncounter/effectiveTime'));
  if (period ?? encounterPeriod) context.period = period ?? encounterPeriod;
  const eventCodes = events.map((e) => toCodeableConcept(at(e, 'code'))).filter((c): c is CodeableConcept => !!c);
  if (eventCodes.length) context.event = eventCodes;
  const facility = toCodeableConcept(at(doc, 'componentOf/encompassingEncounter/location/healthCareFacility/code'));
  if (facility) context.facilityType = facility;
  const setting = toCodeableConcept(
    findDescendant(at(doc, 'documentationOf'), 'standardIndustryClassCode') ??
      findDescendant(at(doc, 'componentOf'), 'standardIndustryClassCode') ??
      findDescendant(at(doc, 'author'), 'standardIndustryClassCode'),
  );
  if (setting) context.practiceSetting = setting;
  const related = relatedIds(input, events);
  if (related.length) context.related = related;
  context.sourcePatientInfo = { reference: `#${contained[0].id}` };
  return context;
}

function mergePeriods(periods: (Period | undefined)[]): Period | undefined {
  const starts = periods.map((p) => p?.start).filter((s): s is string => !!s).sort();
  const ends = periods.map((p) => p?.end).filter((s): s is string => !!s).sort();
  if (!starts.length && !ends.length) return undefined;
  const merged: Period = {};
  if (starts.length) merged.start = starts[0];
  if (ends.length) merged.end = ends[ends.length - 1];
  return merged;
}

/** Study Instance UIDs (imaging), order placer ids and accession numbers → context.related. */
function relatedIds(input: DocumentReferenceInput, events: XmlNode[]): Reference[] {
  const related: Reference[] = [];
  const typed = (id: Identifier, type: string): Identifier => ({ ...id, type: { coding: [{ system: REFERENCE_ID_TYPE, code: type }] } });
  if (input.kind.imaging) {
    for (const event of events) {
      const uid = attr(at(event, 'id'), 'root');
      if (!uid) continue;
      const reference: Reference = { identifier: typed({ system: 'urn:dicom:uid', value: `urn:oid:${uid}` }, 'urn:ihe:iti:xds:2016:studyInstanceUID') };
      const study = input.studies.get(uid);
      if (study) reference.reference = study;
      related.push(reference);
    }
  }
  for (const order of all(input.doc, 'inFulfillmentOf/order')) {
    const placer = toIdentifier(at(order, 'id'));
    if (placer) related.push({ identifier: typed(placer, 'urn:ihe:iti:xds:2013:order') });
    const accession = toIdentifier(at(order, 'ps3-20:accessionNumber'));
    if (accession) related.push({ identifier: typed(accession, 'urn:ihe:iti:xds:2013:accession') });
  }
  return related;
}
