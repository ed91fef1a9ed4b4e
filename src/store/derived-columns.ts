import type { DocumentReference, Reference, Resource } from '@medplum/fhirtypes';
import { patientCompartmentParams, searchParam } from '../kernel/search/registry';
import type { IndexRows } from './indexer';
import { parseReference } from './indexer';

/** Extension linking a resource extracted from a document to that DocumentReference. */
export const SOURCE_DOCUMENT_URL = 'https://dmp-fhir-adapter.org/fhir/StructureDefinition/source-document';

/** Row columns derived from the resource: what access control filters on without reading the JSON. */
export interface DerivedColumns {
  compartment: string | null;
  /**
   * Every distinct Patient the resource names through its compartment paths (not stored): more than one means the
   * resource would belong to several records, which the access rules refuse.
   */
  namedPatients: string[];
  docId: string | null;
  security: string[];
  authors: string[];
  /** A List of several documents: their ids, whose visibility labels the List takes at write (not stored). */
  listedDocuments?: string[];
}

function idOf(reference: string | undefined, type: string): string | null {
  if (!reference) return null;
  const ref = parseReference(reference);
  return ref.targetType === type ? ref.targetId : null;
}

/**
 * The Patients a resource names through the official Patient CompartmentDefinition paths, in the order of its
 * parameters. A parameter answered by other parameters' rows (`patient` = the `subject` rows of Patient targets,
 * `ParamDef.sources`) has no rows of its own: its sources are read instead, or the compartment would silently be
 * empty. A Binary names the Patient of its `securityContext` (its DocumentReference's is resolved by the store).
 */
export function compartmentPatients(resource: Resource, rows: IndexRows): string[] {
  if (resource.resourceType === 'Patient') return resource.id ? [resource.id] : [];
  if (resource.resourceType === 'Binary') {
    const id = idOf(resource.securityContext?.reference, 'Patient');
    return id ? [id] : [];
  }
  const found: string[] = [];
  for (const param of patientCompartmentParams(resource.resourceType)) {
    const codes = searchParam(resource.resourceType, param)?.sources?.codes ?? [param];
    for (const ref of rows.references) {
      if (ref.targetType === 'Patient' && codes.includes(ref.param) && !found.includes(ref.targetId)) found.push(ref.targetId);
    }
  }
  return found;
}

/** The Patient compartment of a resource: the first Patient reached through its compartment parameters. */
export function compartmentOf(resource: Resource, rows: IndexRows): string | null {
  return compartmentPatients(resource, rows)[0] ?? null;
}

function authorKeys(doc: DocumentReference): string[] {
  const keys: string[] = [];
  for (const author of doc.author ?? []) {
    const reference = (author as Reference).reference;
    if (reference?.startsWith('#')) {
      const contained = doc.contained?.find((c) => `#${c.id}` === reference) as { identifier?: { system?: string; value?: string }[]; practitioner?: Reference } | undefined;
      for (const id of contained?.identifier ?? []) if (id.system && id.value) keys.push(`${id.system}|${id.value}`);
      if (contained?.practitioner?.reference) keys.push(contained.practitioner.reference);
      const practitionerId = contained?.practitioner?.identifier;
      if (practitionerId?.system && practitionerId.value) keys.push(`${practitionerId.system}|${practitionerId.value}`);
    } else if (reference) {
      const parsed = parseReference(reference);
      if (parsed.targetType) keys.push(`${parsed.targetType}/${parsed.targetId}`);
    }
    const identifier = (author as Reference).identifier;
    if (identifier?.system && identifier.value) keys.push(`${identifier.system}|${identifier.value}`);
  }
  return [...new Set(keys)];
}

/** HL7 confidentiality codes (v3-Confidentiality): every document has one; they hide nothing by themselves here. */
const CONFIDENTIALITY = new Set(['U', 'L', 'M', 'N', 'R', 'V']);

/** True when the codes hold more than a confidentiality code (a DMP visibility flag such as MASQUE_PS). */
export function carriesFlags(codes: string[]): boolean {
  return codes.some((c) => !CONFIDENTIALITY.has(c));
}

/** The security codes of a row: `meta.security`, and a DocumentReference's `securityLabel`. */
export function securityCodes(resource: Resource): string[] {
  const security = (resource.meta?.security ?? []).map((c) => c.code).filter((c): c is string => !!c);
  if (resource.resourceType === 'DocumentReference') {
    for (const label of resource.securityLabel ?? []) for (const c of label.coding ?? []) if (c.code) security.push(c.code);
  }
  return security;
}

/** Computes the access-relevant columns of a row. */
export function deriveColumns(resource: Resource, rows: IndexRows): DerivedColumns {
  const security = securityCodes(resource);
  let docId: string | null = null;
  let authors: string[] = [];
  if (resource.resourceType === 'DocumentReference') {
    docId = resource.id ?? null;
    authors = authorKeys(resource);
  } else if (resource.resourceType === 'Binary') {
    docId = idOf(resource.securityContext?.reference, 'DocumentReference');
  } else {
    const source = (resource as { extension?: { url: string; valueReference?: Reference }[] }).extension?.find((e) => e.url === SOURCE_DOCUMENT_URL);
    docId = idOf(source?.valueReference?.reference, 'DocumentReference');
  }
  const listed = resource.resourceType === 'List' && !docId ? listedDocuments(resource) : resource.resourceType === 'Consent' ? consentDocuments(resource) : [];
  // A List of documents (an MHD SubmissionSet) says they exist: one listed document governs it like its Binary; the
  // labels of several are joined by the store at write (`governing-columns.ts` `resolveColumns`). A Consent masking documents
  // names them the same way: it is hidden from whoever they are hidden from (the patient for INVISIBLE_PATIENT, a
  // guardian for INVISIBLE_REPRESENTANTS_LEGAUX), who therefore can neither see it nor withdraw it.
  if (listed.length === 1) docId = listed[0];
  const namedPatients = compartmentPatients(resource, rows);
  const columns: DerivedColumns = { compartment: namedPatients[0] ?? null, namedPatients, docId, security: [...new Set(security)], authors };
  return listed.length > 1 ? { ...columns, listedDocuments: listed } : columns;
}

/** The DocumentReferences a Consent's provisions name (`provision.data.reference`, nested provisions too), distinct, in order. */
export function consentDocuments(consent: Resource & { resourceType: 'Consent' }): string[] {
  const ids: string[] = [];
  const walk = (provision: NonNullable<typeof consent.provision> | undefined): void => {
    for (const data of provision?.data ?? []) {
      const id = idOf(data.reference?.reference, 'DocumentReference');
      if (id) ids.push(id);
    }
    for (const nested of provision?.provision ?? []) walk(nested);
  };
  walk(consent.provision);
  return [...new Set(ids)];
}

/** The DocumentReferences a List lists (`entry.item`), distinct, in order. */
export function listedDocuments(list: Resource & { resourceType: 'List' }): string[] {
  const ids = (list.entry ?? []).map((e) => idOf(e.item?.reference, 'DocumentReference')).filter((id): id is string => !!id);
  return [...new Set(ids)];
}
