import type { Resource } from '@medplum/fhirtypes';
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
