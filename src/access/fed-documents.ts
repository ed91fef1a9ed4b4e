import type { DocumentReference } from '@medplum/fhirtypes';
import type { WriteEvent } from '../fhir/context';
import { forbidden } from '../fhir/errors';
import { SOURCE_DOCUMENT_URL } from '../store/derived-columns';
import { isAssuranceMaladie, type DmpActor } from './actor';
import { classOf } from './resource-classes';

/**
 * What feeding systems write (DESIGN §4, issue 11, closed by default). A feeder (a hospital's or lab's system token)
 * "creates documents for a patient on behalf of an authorised author", and the Assurance Maladie "writes care history":
 * both submit *documents*, never free-standing clinical rows. Nobody vouches for a row a system sends on its own:
 * there is no authorised author behind an Observation a feeder posts by itself (the author check,
 * feeder-author.ts, looks at a DocumentReference), and it would change only by its feeder, outside any document the
 * patient can mask. So a system writes clinical data only as the parts of a document — the DocumentReference, its
 * Binary, its SubmissionSet List — and what the server extracts from that document (the source-document
 * extension, which only the importer sets: source-document-guard.ts). Every channel that submits documents ($import,
 * ITI-65, ITI-105, the PDSm replacement) writes exactly those; anything else is refused, whatever the interaction.
 */

/** Care-history documents: type REMB (TRE_A05) or class 60 "Données de remboursement" (TRE_A03). */
export function isCareHistoryDocument(doc: DocumentReference | undefined): boolean {
  const codes = [...(doc?.type?.coding ?? []), ...(doc?.category ?? []).flatMap((c) => c.coding ?? [])].map((c) => c.code);
  return codes.includes('REMB') || codes.includes('60');
}

const isDocumentRef = (reference?: string): boolean => /(^|\/)DocumentReference\/[^/]+$/.test(reference ?? '');

/** True when a written resource belongs to a document: one of its parts, or extracted from it (source-document). */
export function isDocumentPart(event: WriteEvent): boolean {
  const resource = event.resource as { securityContext?: { reference?: string }; entry?: { item?: { reference?: string } }[]; extension?: { url?: string }[] } | undefined;
  if (event.resourceType === 'DocumentReference') return true;
  // A Binary or a SubmissionSet List is part of a document only when it names the DocumentReference(s) it belongs to:
  // a Binary kept under a Patient, or a List of anything else, is a free-standing row.
  if (event.resourceType === 'Binary') return isDocumentRef(resource?.securityContext?.reference);
  if (event.resourceType === 'List') return !!resource?.entry?.length && resource.entry.every((e) => isDocumentRef(e.item?.reference));
  return (resource?.extension ?? []).some((e) => e.url === SOURCE_DOCUMENT_URL);
}

/**
 * 403 when a feeding system writes a clinical row that is not part of a document (create, update or patch; systems
 * never delete: decide-access.ts). The Patient and the opening Consent of the Assurance Maladie's counters, and the
 * directory entries a document names, are governed by their own rules (write-rules.ts, directory-rules.ts).
 */
export function assertSystemWritesDocuments(actor: DmpActor, event: WriteEvent): void {
  if (actor.kind !== 'system' || classOf(event.resourceType) !== 'clinical' || isDocumentPart(event)) return;
  if (isAssuranceMaladie(actor)) {
    throw forbidden(`The Assurance Maladie submits care-history documents; it may not write a free-standing ${event.resourceType}: send it inside a care-history document (type REMB / class 60)`);
  }
  throw forbidden(
    `A feeder submits documents; it may not write a free-standing ${event.resourceType}: send it inside a document on behalf of its authorised author ($import, ITI-65 Provide Document Bundle, ITI-105)`,
  );
}
