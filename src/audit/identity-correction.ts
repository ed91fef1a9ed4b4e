import type { AuditEventEntityDetail, Coding } from '@medplum/fhirtypes';
import type { RequestContext, WriteEvent } from '../fhir/context';
import { StateKey } from '../fhir/request-state';

/** Key, in `ctx.state`, of the identity correction a request carries out (set by `Patient/$update-identity`). */
export const IDENTITY_CORRECTION_STATE = new StateKey<IdentityCorrection>('identity.correction');

/** What an identity correction changed, as the trail records it (identity only, never health data). */
export interface IdentityCorrection {
  patientId: string;
  /** INS identifiers before and after, as `<system>|<value>`. */
  previousIns: string[];
  ins: string[];
  /** Traits changed (identifier, birthDate, gender, name). */
  changed: string[];
  reason: string;
}

/** Subtype of the event recording an identity correction (beside the REST interaction's). */
export const SUBTYPE_IDENTITY_CORRECTION: Coding = Object.freeze({
  system: 'https://dmp-fhir-adapter.org/fhir/CodeSystem/audit-event-subtype',
  code: 'identity-correction',
  display: 'Identity correction',
}) as Coding;

/** The identity correction of this write, when the request is that procedure and the write its Patient. */
export function identityCorrectionOf(ctx: RequestContext, event: WriteEvent): IdentityCorrection | undefined {
  const correction = ctx.state.get(IDENTITY_CORRECTION_STATE);
  return correction && event.resourceType === 'Patient' && event.id === correction.patientId ? correction : undefined;
}

/** The Patient entity's details of a correction event: old and new INS, traits changed, reason. */
export function identityCorrectionDetails(correction: IdentityCorrection): AuditEventEntityDetail[] {
  return [
    { type: 'previous-ins', valueString: correction.previousIns.join(' ') },
    { type: 'new-ins', valueString: correction.ins.join(' ') },
    { type: 'changed', valueString: correction.changed.join(', ') },
    { type: 'reason', valueString: correction.reason },
  ];
}
