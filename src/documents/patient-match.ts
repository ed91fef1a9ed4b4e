import type { Patient } from '@medplum/fhirtypes';
import type { CdaImportPlan } from '../cda';
import { INS_OIDS } from '../cda/code-systems';
import type { RequestContext } from '../fhir/context';
import { unprocessable } from '../fhir/errors';
import { findMatches, parseStored } from '../fhir/handlers/conditional';
import { lookupExisting } from './existing-lookup';
import type { FhirService } from '../fhir/service';
import { assertIdentityAgrees } from './identity-traits';
import { deferIdentityRefusal } from './identity-verdict';

const INS_SYSTEMS = INS_OIDS.map((oid) => `urn:oid:${oid}`);

type PatientIdentifier = CdaImportPlan['patientIdentifiers'][number];

/** The Patient a document was matched to, and by which of its identifiers. */
export interface PatientMatch {
  patient: Patient & { id: string };
  by: PatientIdentifier;
}

/** True for an INS system (NIR, NIA, test, demo). */
function isIns(id: PatientIdentifier): boolean {
  return INS_SYSTEMS.includes(id.system);
}

/** A token value with the search syntax's separators escaped (`\,` `\|` `\$` `\\`): a comma must not become an OR. */
function escapeToken(value: string): string {
  return value.replace(/[\\,|$]/g, (c) => `\\${c}`);
}

/** The one Patient carrying exactly this identifier (same system, same value), or undefined; several → 422. */
async function findByIdentifier(svc: FhirService, ctx: RequestContext, id: PatientIdentifier): Promise<PatientMatch | undefined> {
  const criteria: [string, string][] = [['identifier', `${escapeToken(id.system)}|${escapeToken(id.value)}`]];
  // The caller's look-up rules hold for the unlocked look-up too (a feeder finds a patient by his INS only).
  ctx.assertLookupCriteria?.('Patient', criteria);
  // Unlocked first (the usual case: a known patient); locked only to decide that the patient is new.
  let matches = await lookupExisting(svc, ctx, 'Patient', criteria);
  if (!matches.length) matches = await findMatches(svc, ctx, 'Patient', criteria, true);
  // The index is only a means: the record itself must carry the identifier under the same assigning authority.
  const carrying = matches.map((m) => parseStored(m) as Patient & { id: string })
    .filter((p) => (p.identifier ?? []).some((i) => i.system === id.system && i.value === id.value));
  if (carrying.length > 1) throw unprocessable(`The patient identifier ${id.system}|${id.value} matches more than one Patient`);
  return carrying.length ? { patient: carrying[0], by: id } : undefined;
}

/**
 * Finds the document's patient. A document carrying an INS is matched by its INS only: an INS no record carries
 * is refused (422 naming it), never filed by a local identifier (identity vigilance, RNIV). Without an INS, any other
 * recordTarget identifier that a known Patient carries under the same system (how US C-CDA documents find their patient).
 */
export async function matchPatient(svc: FhirService, ctx: RequestContext, identifiers: PatientIdentifier[]): Promise<PatientMatch | undefined> {
  const ins = identifiers.filter(isIns);
  for (const id of ins.length ? ins : identifiers) {
    const match = await findByIdentifier(svc, ctx, id);
    if (match) return match;
  }
  if (ins.length) {
    throw unprocessable(`No record for this INS ${ins.map((id) => `${id.system}|${id.value}`).join(', ')}: a document carrying an INS is filed only in the record of that INS, never by its other identifiers; the patient must open the record (opening consent) before documents can be added`);
  }
  return undefined;
}

/**
 * A document whose patient has no record is refused: no record is ever opened without the patient's agreement
 * (issue 4, rule 11). The 422 names the identifier so the sender can ask the patient to open the record.
 */
export function refuseUnknownPatient(plan: CdaImportPlan): never {
  const ins = plan.patientIdentifiers.find(isIns) ?? plan.patientIdentifiers[0];
  throw unprocessable(`No open DMP record for the patient ${ins.system}|${ins.value}: the patient must open the record (opening consent) before documents can be added`);
}

/**
 * The reference of the plan's patient (the existing record of its INS), or 422 naming the identifier. Traits that
 * disagree with that record are refused (422 naming them) only once the filing is otherwise allowed
 * (`identity-verdict.ts`): told before the write was judged, they told an author the patient never authorised what the
 * record's traits are.
 */
export async function resolvePatientReference(svc: FhirService, ctx: RequestContext, plan: CdaImportPlan): Promise<string> {
  const match = (await matchPatient(svc, ctx, plan.patientIdentifiers)) ?? refuseUnknownPatient(plan);
  deferIdentityRefusal(ctx, () => assertIdentityAgrees(plan.patientTraits, match.patient, match.by));
  return `Patient/${match.patient.id}`;
}
