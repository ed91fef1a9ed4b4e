import type { Bundle, DocumentReference, Patient } from '@medplum/fhirtypes';
import type { CdaImportPlan } from '../cda';
import { INS_OIDS } from '../cda/code-systems';
import type { RequestContext } from '../fhir/context';
import { unprocessable } from '../fhir/errors';
import { findMatches } from '../fhir/handlers/conditional';
import { lookupExisting } from './existing-lookup';
import type { FhirService } from '../fhir/service';

const INS_SYSTEMS = INS_OIDS.map((oid) => `urn:oid:${oid}`);

/** Where an import's patient references must point: an existing Patient, or a Patient entry to create. */
export interface PatientTarget {
  reference?: string;
  /** A Patient to create in the same transaction (a new record). */
  create?: Patient;
}

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
 * Policy for a document whose patient has no record yet. For now a record is opened from the INS traits of the
 * document (no INS → 422 naming the identifier). Issue 4 (no record without consent) switches this single
 * function to always answer 422.
 */
export function admitUnknownPatient(plan: CdaImportPlan): Patient {
  const ins = plan.patientIdentifiers.find((id) => INS_SYSTEMS.includes(id.system));
  if (!ins) {
    const first = plan.patientIdentifiers[0];
    throw unprocessable(`No Patient carries the identifier ${first.system}|${first.value}, and the document gives no INS to open a record with`);
  }
  const traits = sourcePatientOf(plan.bundle);
  const { id: _contained, ...rest } = traits ?? { resourceType: 'Patient' as const };
  void _contained;
  return { ...rest, resourceType: 'Patient', identifier: traits?.identifier ?? [ins] };
}

/** Resolves the patient of a plan: an existing Patient reference, or the Patient to create. */
export async function resolvePatientTarget(svc: FhirService, ctx: RequestContext, plan: CdaImportPlan): Promise<PatientTarget> {
  const found = await matchPatient(svc, ctx, plan.patientIdentifiers);
  if (found) return { reference: found };
  return { create: admitUnknownPatient(plan) };
}

/** The contained `#patient` (INS traits) of the plan's DocumentReference. */
function sourcePatientOf(bundle: Bundle): Patient | undefined {
  const dr = bundle.entry?.find((e) => e.resource?.resourceType === 'DocumentReference')?.resource as DocumentReference | undefined;
  const ref = dr?.context?.sourcePatientInfo?.reference;
  return dr?.contained?.find((c) => c.resourceType === 'Patient' && `#${c.id}` === ref) as Patient | undefined;
}
