import type { Attachment, Extension, Identifier, Patient, Practitioner, Reference, Specimen } from '@medplum/fhirtypes';
import type { BundleBuilder } from './bundle-builder';
import { at, attr } from './cda-node';
import { CDA_ENTRY_SYSTEM, SOURCE_DOCUMENT_EXTENSION } from './code-systems';
import { identifierKey, toIdentifier } from './datatypes';
import type { UnmappedCollector } from './unmapped';
import type { XmlNode } from './xml-tree';

/** A lab result placed in the bundle, remembered so the DiagnosticReport of its section can list it. */
export interface CollectedResult {
  /** Top-level section the result was found in (one DiagnosticReport per such section). */
  section: XmlNode;
  fullUrl: string;
  specimen?: Reference<Specimen>;
}

/** What every mapper needs: the bundle, the patient and document references, and shared collections. */
export interface MappingContext {
  builder: BundleBuilder;
  /** Conditional reference to the patient (`Patient?identifier=system|value`), resolved by the core. */
  patient: Reference<Patient>;
  /** fullUrl of the DocumentReference. */
  documentUrl: string;
  /** masterIdentifier value of the document: prefix of every extracted resource's stable identifier. */
  documentKey: string;
  /** The document's effectiveTime (FHIR dateTime): "now" for the statuses the document states. */
  documentTime?: string;
  /** The recordTarget's lookup identifiers: a participant carrying one of them is the patient himself. */
  patientIdentifiers: Identifier[];
  /** The document's first author (assignedAuthor): who performed what the document reports when entries name nobody. */
  documentAuthor?: XmlNode;
  warnings: string[];
  /** Statements no mapper represents, grouped by section and kind (reported, never silently dropped). */
  unmapped: UnmappedCollector;
  results: CollectedResult[];
  /** The specimen last collected in a section (XD-LAB Specimen Collection), for the results naming none of their own. */
  collectedSpecimens: Map<XmlNode, Reference<Specimen>>;
  /** Extra DocumentReference.content attachments (embedded PDFs). */
  attachments: { attachment: Attachment; format?: string }[];
  /** Reference to the practitioner of an assignedEntity/assignedAuthor (conditional create), if identifiable. */
  practitionerOf(assigned: XmlNode | undefined): Reference<Practitioner> | undefined;
}

/** Where an entry sits in the body: its top-level section and a structural key (`s1.s2.e3`). */
export interface EntryLocation {
  topSection: XmlNode;
  section: XmlNode;
  path: string;
}

/** The extension linking an extracted resource to its source DocumentReference. */
export function sourceExtension(ctx: MappingContext): Extension {
  return { url: SOURCE_DOCUMENT_EXTENSION, valueReference: { reference: ctx.documentUrl } };
}

/**
 * Identifiers of an extracted resource: the CDA entry's own `id` when present, and always the stable
 * `<document id>#<entry key>` identifier (entry key = the entry's id, else its position in the body).
 */
export function entryIdentifiers(ctx: MappingContext, node: XmlNode, path: string): Identifier[] {
  const own = toIdentifier(at(node, 'id'));
  const entryKey = own ? identifierKey(own) : path;
  const identifiers: Identifier[] = [{ system: CDA_ENTRY_SYSTEM, value: `${ctx.documentKey}#${entryKey}` }];
  if (own) identifiers.push(own);
  return identifiers;
}

/** The common part of every extracted resource: source extension and identifiers. */
export function extractedBase(ctx: MappingContext, node: XmlNode, path: string): { extension: Extension[]; identifier: Identifier[] } {
  return { extension: [sourceExtension(ctx)], identifier: entryIdentifiers(ctx, node, path) };
}

/** True when the statement is negated (`negationInd="true"`). */
export function isNegated(node: XmlNode): boolean {
  return attr(node, 'negationInd') === 'true';
}
