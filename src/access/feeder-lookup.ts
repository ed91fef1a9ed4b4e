import { forbidden } from '../fhir/errors';
import { INS_SYSTEMS } from './actor';

/**
 * A feeder (hospital, lab, the Assurance Maladie) cannot read records; it finds the patient of a submission inside
 * the write, and only by its exact INS (`Patient?identifier=<INS system>|<value>`). Criteria by name, birth date,
 * address, a bare value or several parameters would let it probe who has a record: refused with 403 before the match
 * runs.
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
  // Only the INS: a local identifier (a hospital's IPP) vouches for nothing here. The server cannot tell which
  // organisation assigned it, and whoever opens a record writes it — attack sweep 6: a professional opened a record
  // without INS carrying another person's IPP, named himself and the lab's biologist treating physicians, and read the
  // lab's report sent for that person by IPP.
  const system = params[0][1].split('|')[0];
  if (!INS_SYSTEMS.includes(system)) {
    throw forbidden(`A feeding system finds a patient only by the INS (Patient?identifier=${INS_SYSTEMS[0]}|<INS>): a local identifier such as "${system}" is not an identity it may file documents by`);
  }
}
