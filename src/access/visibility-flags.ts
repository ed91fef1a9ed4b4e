import type { DocumentReference, Resource } from '@medplum/fhirtypes';
import type { WriteEvent } from '../kernel/request-context';
import { unprocessable } from '../fhir/errors';
import { VISIBILITY_CODES } from '../documents/security-labels';

/**
 * 422 when a token actor writes a DMP visibility flag (MASQUE_PS, INVISIBLE_PATIENT, INVISIBLE_REPRESENTANTS_LEGAUX)
 * in the `meta.security` of anything but a document. Why: the DMP defines these flags on documents only
 * (DMP-CONTRACT §4), changed by the document's author or by the patient through Consent; a resource extracted from a
 * document follows its document. A flag on a standalone row would let its writer hide an entry from the patient (or
 * from professionals) outside every rule that governs masking — closed by default: refused, not stored. The server's
 * own writes (system context) never reach this check.
 */
export function assertNoStandaloneVisibilityFlags(event: WriteEvent): void {
  if (event.resourceType === 'DocumentReference' || event.interaction === 'delete') return;
  const flags = ((event.resource as Resource | undefined)?.meta?.security ?? []).map((c) => c.code).filter((c): c is string => !!c && VISIBILITY_CODES.includes(c));
  if (flags.length === 0) return;
  throw unprocessable(
    `meta.security of a ${event.resourceType} may not carry ${flags.join(', ')}: DMP visibility flags are set on a document (DocumentReference.securityLabel, by its author, or by the patient through Consent), and what a document holds follows its document`,
  );
}

/** The DMP visibility flags a document carries, in its `securityLabel` or its `meta.security`. */
function documentFlags(resource: Resource | undefined): string[] {
  const labels = ((resource as DocumentReference | undefined)?.securityLabel ?? []).flatMap((label) => label.coding ?? []);
  return [...labels, ...(resource?.meta?.security ?? [])].map((c) => c.code).filter((c): c is string => !!c && VISIBILITY_CODES.includes(c));
}

/**
 * 422 when a token actor other than a professional or a feeder adds a DMP visibility flag to a DocumentReference (create,
 * update, patch, Bundle entry). Why: the flags are the professionals' (DMP-CONTRACT §4: INVISIBLE_PATIENT until a
 * professional makes the document visible); the patient masks through Consent, never by editing labels. A guardian filed
 * in a minor's record a document flagged INVISIBLE_PATIENT: hidden from the minor, and from the guardian who acts as him,
 * neither could see or withdraw it, while every professional of the record read it (attack sweep 10). Closed by default:
 * any other kind of actor is refused; a flag the document already carried may stay or go.
 */
export function assertFlagsFromProfessionals(actor: { kind: string }, event: WriteEvent): void {
  if (event.resourceType !== 'DocumentReference' || event.interaction === 'delete') return;
  if (actor.kind === 'practitioner' || actor.kind === 'system') return;
  const before = new Set(documentFlags(event.previous));
  const added = [...new Set(documentFlags(event.resource).filter((code) => !before.has(code)))];
  if (added.length === 0) return;
  throw unprocessable(
    `DocumentReference.securityLabel may not gain ${added.join(', ')} from a patient or a legal guardian: DMP visibility flags are set by the document's professional author or its feeder; the patient masks a document through a Consent`,
  );
}
