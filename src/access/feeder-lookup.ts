import { forbidden } from '../fhir/errors';

/**
 * A feeder (hospital, lab, the Assurance Maladie) cannot read records; it finds the patient of a submission inside
 * the write, and only by an exact identifier (`Patient?identifier=<system>|<value>`: the INS, or the local identifier
 * its organisation assigned). Criteria by name, birth date, address, a bare value or several parameters would let
 * it probe who has a record: refused with 403 before the match runs.
 */
export function assertFeederPatientLookup(resourceType: string, params: [string, string][]): void {
  if (resourceType !== 'Patient') return;
  const exactIdentifier = params.length === 1 && params[0][0] === 'identifier' && /^[^|,]+\|[^|,]+$/.test(params[0][1]);
  if (!exactIdentifier) {
    throw forbidden('A feeding system finds a patient only by one exact identifier (Patient?identifier=<system>|<value>, e.g. the INS)');
  }
}
