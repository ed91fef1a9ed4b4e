import type { CdaImportPlan } from '../cda';
import { INS_OIDS } from '../cda/code-systems';
import type { RequestContext } from '../fhir/context';
import { unprocessable } from '../fhir/errors';
import { findMatches } from '../fhir/handlers/conditional';
import { lookupExisting } from './existing-lookup';
import type { FhirService } from '../fhir/service';

const INS_SYSTEMS = INS_OIDS.map((oid) => `urn:oid:${oid}`);

/**
 * Finds the document's patient: by INS first, then by any other recordTarget identifier a known Patient
 * carries (how US C-CDA documents find their patient). Several Patients for one identifier → 422.
 */
export async function matchPatient(svc: FhirService, ctx: RequestContext, identifiers: CdaImportPlan['patientIdentifiers']): Promise<string | undefined> {
  for (const id of identifiers) {
    const criteria: [string, string][] = [['identifier', `${id.system}|${id.value}`]];
    // Unlocked first (the usual case: a known patient); locked only to decide that the patient is new.
    let matches = await lookupExisting(svc, ctx, 'Patient', criteria);
    if (!matches.length) matches = await findMatches(svc, ctx, 'Patient', criteria);
    if (matches.length > 1) throw unprocessable(`The patient identifier ${id.system}|${id.value} matches more than one Patient`);
    if (matches.length === 1) return `Patient/${matches[0].id}`;
  }
  return undefined;
}

/**
 * A document whose patient has no record is refused: no record is ever opened without the patient's agreement
 * (issue 4, rule 11). The 422 names the identifier so the sender can ask the patient to open the record.
 */
export function refuseUnknownPatient(plan: CdaImportPlan): never {
  const ins = plan.patientIdentifiers.find((id) => INS_SYSTEMS.includes(id.system)) ?? plan.patientIdentifiers[0];
  throw unprocessable(`No open DMP record for the patient ${ins.system}|${ins.value}: the patient must open the record (opening consent) before documents can be added`);
}

/** The reference of the plan's patient (an existing record), or 422 naming the identifier. */
export async function resolvePatientReference(svc: FhirService, ctx: RequestContext, plan: CdaImportPlan): Promise<string> {
  return (await matchPatient(svc, ctx, plan.patientIdentifiers)) ?? refuseUnknownPatient(plan);
}
