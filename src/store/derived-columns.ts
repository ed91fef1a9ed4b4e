import type { DocumentReference, Reference, Resource } from '@medplum/fhirtypes';
import { patientCompartmentParams } from '../fhir/search-registry';
import type { IndexRows } from './indexer';
import { parseReference } from './indexer';

/** Extension linking a resource extracted from a document to that DocumentReference. */
export const SOURCE_DOCUMENT_URL = 'https://dmp-fhir-adapter.org/fhir/StructureDefinition/source-document';

/** Row columns derived from the resource: what access control filters on without reading the JSON. */
export interface DerivedColumns {
  compartment: string | null;
  docId: string | null;
  security: string[];
  authors: string[];
}

function idOf(reference: string | undefined, type: string): string | null {
  if (!reference) return null;
  const ref = parseReference(reference);
  return ref.targetType === type ? ref.targetId : null;
}

/** The Patient compartment of a resource: the first Patient reached through its compartment parameters. */
export function compartmentOf(resource: Resource, rows: IndexRows): string | null {
  if (resource.resourceType === 'Patient') return resource.id ?? null;
  const params = patientCompartmentParams(resource.resourceType);
  for (const param of params) {
    const ref = rows.references.find((r) => r.param === param && r.targetType === 'Patient');
    if (ref) return ref.targetId;
  }
  return null;
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

/** Computes the access-relevant columns of a row. */
export function deriveColumns(resource: Resource, rows: IndexRows): DerivedColumns {
  const security = (resource.meta?.security ?? []).map((c) => c.code).filter((c): c is string => !!c);
  let docId: string | null = null;
  let authors: string[] = [];
  if (resource.resourceType === 'DocumentReference') {
    docId = resource.id ?? null;
    for (const label of resource.securityLabel ?? []) for (const c of label.coding ?? []) if (c.code) security.push(c.code);
    authors = authorKeys(resource);
  } else if (resource.resourceType === 'Binary') {
    docId = idOf(resource.securityContext?.reference, 'DocumentReference');
  } else {
    const source = (resource as { extension?: { url: string; valueReference?: Reference }[] }).extension?.find((e) => e.url === SOURCE_DOCUMENT_URL);
    docId = idOf(source?.valueReference?.reference, 'DocumentReference');
  }
  return { compartment: compartmentOf(resource, rows), docId, security: [...new Set(security)], authors };
}
