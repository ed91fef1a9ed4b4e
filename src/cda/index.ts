import type { Binary, Bundle, BundleEntry, DocumentReference, Patient } from '@medplum/fhirtypes';
import { walkBody } from './body-walker';
import { BundleBuilder } from './bundle-builder';
import { at, attr, templateIds, textOf } from './cda-node';
import { parseCda, type CdaDocument, type CdaParseOptions } from './cda-parser';
import { toDateTimeOf, toIdentifier } from './datatypes';
import { documentKindOf, formatCoding } from './document-kinds';
import { buildDocumentReference, CDA_CONTENT_TYPE } from './header/document-reference';
import { addPractitioner } from './header/participants';
import { readPatient } from './header/patient';
import { inlineNarrativeReferences } from './narrative-references';
import type { MappingContext } from './mapping-context';
import { addImagingReport, addImagingStudies } from './mappers/imaging-report';
import { addLabReports } from './mappers/lab-report';
import { addEmbeddedPayload } from './mappers/media';
import { UnmappedCollector, unmappedExtensions, type UnmappedContent } from './unmapped';
import { unprocessable } from '../fhir/errors';

export { parseCda, type CdaDocument, type CdaParseOptions } from './cda-parser';
export type { XmlNode } from './xml-tree';
export { describeUnmapped, unmappedOutcome, UNMAPPED_CONTENT_EXTENSION, type UnmappedContent } from './unmapped';

/** Everything the core needs to import one CDA document in one transaction. */
export interface CdaImportPlan {
  /** A FHIR R4 `transaction` Bundle, ready for the core's transaction handler. */
  bundle: Bundle;
  /** masterIdentifier of the DocumentReference (idempotency key). */
  documentId: { system: string; value: string };
  /** recordTarget ids, INS first (`urn:oid:<root>` | extension). */
  patientIdentifiers: { system: string; value: string }[];
  /** The patient's identity traits as the document gives them (names, gender, birth date…), to check the matched record. */
  patientTraits: Patient;
  /** Base64 SHA-1 and size of the received bytes. */
  sha1: string;
  size: number;
  /** fullUrl of the Binary that holds the received bytes (without `data` when planned with `documentBytesApart`). */
  documentBinaryUrl: string;
  /** Mapping notes that are not unmapped content: absences stated, payloads that could not be read, narrative contradicting a code … */
  warnings: string[];
  /**
   * Clinical statements no mapper represents, by section and kind, with counts: for the import's OperationOutcome
   * (`unmappedOutcome(plan.unmapped, plan.warnings)`); also recorded on the DocumentReference (`UNMAPPED_CONTENT_EXTENSION`).
   */
  unmapped: UnmappedContent[];
}

/** Entry order in the Bundle: shared resources, then the document and its bytes, then extracted content. */
const ENTRY_RANK: Record<string, number> = { Organization: 0, Practitioner: 1, DocumentReference: 3, Binary: 4 };

/** How `planCdaImport` reads and plans a document. */
export interface CdaPlanOptions extends CdaParseOptions {
  /**
   * The document's Binary is planned without `data`: the caller keeps the received bytes and writes them itself
   * (`FhirRequest.binaryPayloads`). A 50 KB document is otherwise ~67 KB of base64 in the plan, encoded, sent from the
   * parsing worker as JSON, parsed, checked and decoded again on the request thread.
   */
  documentBytesApart?: boolean;
}

/** Parses a CDA R2 document and maps it to a transaction Bundle (DocumentReference, Binary, extracted resources). */
export function planCdaImport(bytes: Buffer, options: CdaPlanOptions = {}): CdaImportPlan {
  return planFromDocument(parseCda(bytes, options), options.documentBytesApart);
}

/** Maps an already parsed CDA document (see planCdaImport). */
export function planFromDocument(cda: CdaDocument, documentBytesApart = false): CdaImportPlan {
  const doc = cda.root;
  const masterIdentifier = toIdentifier(at(doc, 'id'));
  if (!masterIdentifier?.system || !masterIdentifier.value) throw unprocessable('The CDA document has no usable id (ClinicalDocument/id)');
  const patient = readPatient(doc);
  const ambiguousIds = inlineNarrativeReferences(doc);
  const builder = new BundleBuilder(cda.sha1);
  const documentUrl = builder.urnFor('document-reference');
  const binaryUrl = builder.urnFor('binary:document');
  const ctx: MappingContext = {
    builder,
    patient: { reference: patient.reference },
    documentUrl,
    documentKey: masterIdentifier.value,
    documentTime: toDateTimeOf(at(doc, 'effectiveTime')),
    patientIdentifiers: patient.identifiers,
    documentAuthor: at(doc, 'author/assignedAuthor'),
    warnings: ambiguousIds.map((id) => `Narrative ID "${id}" is written more than once in the document; the texts referring to it are not read`),
    unmapped: new UnmappedCollector(),
    results: [],
    collectedSpecimens: new Map(),
    attachments: [],
    practitionerOf: (assigned) => addPractitioner(builder, assigned),
  };
  const nonXml = at(doc, 'component/nonXMLBody/text');
  const kind = documentKindOf(templateIds(doc), nonXml ? (attr(nonXml, 'mediaType') ?? 'text/plain') : undefined, attr(at(doc, 'code'), 'code'));
  const studies = kind.imaging ? addImagingStudies(doc, ctx) : new Map<string, string>();
  if (nonXml) addLevelOnePayload(nonXml, ctx, kind.format);
  walkBody(doc, ctx);
  addLabReports(doc, ctx);
  // A level-1 imaging report keeps its studies (UIDs in the header); its conclusion is in the PDF, not in a body.
  if (kind.imaging && !nonXml) addImagingReport(doc, studies, ctx);
  const documentReference: DocumentReference = buildDocumentReference({
    doc, kind, masterIdentifier, patient, builder, binaryUrl, sha1: cda.sha1, size: cda.size, studies,
    extraContent: ctx.attachments.map(({ attachment, format }) => (format ? { attachment, format: formatCoding(format) } : { attachment })),
  });
  const unmapped = ctx.unmapped.list();
  if (unmapped.length) documentReference.extension = [...(documentReference.extension ?? []), ...unmappedExtensions(unmapped)];
  builder.add(documentReference, documentUrl);
  const binary: Binary = { resourceType: 'Binary', contentType: CDA_CONTENT_TYPE, securityContext: { reference: documentUrl } };
  if (!documentBytesApart) binary.data = cda.bytes.toString('base64');
  builder.add(binary, binaryUrl);
  const bundle = builder.build();
  bundle.entry = stableSort(bundle.entry ?? []);
  return {
    bundle,
    documentId: { system: masterIdentifier.system, value: masterIdentifier.value },
    patientIdentifiers: patient.identifiers,
    patientTraits: patient.traits,
    sha1: cda.sha1,
    size: cda.size,
    documentBinaryUrl: binaryUrl,
    warnings: ctx.warnings,
    unmapped,
  };
}

function addLevelOnePayload(text: ReturnType<typeof at> & object, ctx: MappingContext, format: string): void {
  if (!text.payload) {
    if (textOf(text)) return; // plain-text level-1 body: the original CDA is the content
    ctx.warnings.push('nonXMLBody has no readable payload (only B64 inline content is extracted)');
    return;
  }
  addEmbeddedPayload(ctx, text.payload, { contentType: attr(text, 'mediaType') ?? 'application/octet-stream', key: 'nonXMLBody', format });
}

function stableSort(entries: BundleEntry[]): BundleEntry[] {
  const rank = (e: BundleEntry): number => ENTRY_RANK[e.resource?.resourceType ?? ''] ?? 9;
  return entries.map((e, i) => ({ e, i })).sort((a, b) => rank(a.e) - rank(b.e) || a.i - b.i).map(({ e }) => e);
}
