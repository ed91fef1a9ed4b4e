import { forbidden } from '../fhir/errors';

/**
 * A feeder (hospital, lab, the Assurance Maladie) cannot read records; it finds the patient of a submission inside
 * the write, and only by an exact identifier (`Patient?identifier=<system>|<value>`: the INS, or the local identifier
 * its organisation assigned). Criteria by name, birth date, address, a bare value or several parameters would let
 * it probe who has a record: refused with 403 before the match runs.
 *
 * Whatever the type looked up, its criteria follow no reference (no chain `a.b`, `a:Type.b`, no `_has`): the look-up
 * sees the Patient rows a feeder may resolve by identity, and every hop of a chain or reverse chain reads through that
 * same predicate. Attack sweep 6: a feeder's directory create conditioned on
 * `If-None-Exist: _has:Patient:general-practitioner:birthdate=…` answered 200 (the entry) or 409 (a duplicate) as the
 * treating physician's patients matched or not — their INS, birth dates and names, bisected by a system that reads
 * no Patient.
 */
export function assertFeederPatientLookup(resourceType: string, params: [string, string][]): void {
  const hop = params.find(([name]) => name.startsWith('_has') || name.includes('.'));
  if (hop) {
    throw forbidden(`A feeding system's conditional criteria follow no reference (chain or _has): "${hop[0]}" is refused; match by identifier`);
  }
  if (resourceType !== 'Patient') return;
  const exactIdentifier = params.length === 1 && params[0][0] === 'identifier' && /^[^|,]+\|[^|,]+$/.test(params[0][1]);
  if (!exactIdentifier) {
    throw forbidden('A feeding system finds a patient only by one exact identifier (Patient?identifier=<system>|<value>, e.g. the INS)');
  }
}
