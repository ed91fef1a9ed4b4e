import type { Resource } from '@medplum/fhirtypes';

/** Tag put on resources retired because their source document was replaced. */
export const SUPERSEDED_TAG = { system: 'https://dmp-fhir-adapter.org/fhir/CodeSystem/document-lifecycle', code: 'superseded-by-replacement' };

/** Types whose `status` has `entered-in-error` and no better value for "replaced by a newer document". */
const STATUS_TYPES = new Set([
  'Observation', 'DiagnosticReport', 'MedicationStatement', 'MedicationRequest', 'MedicationAdministration', 'Immunization', 'Specimen',
  'Procedure', 'Encounter', 'CarePlan', 'Composition', 'List', 'ServiceRequest', 'Media', 'MedicationDispense', 'ImagingStudy',
]);

const VERIFICATION_SYSTEMS: Record<string, string> = {
  AllergyIntolerance: 'http://terminology.hl7.org/CodeSystem/allergyintolerance-verification',
  Condition: 'http://terminology.hl7.org/CodeSystem/condition-ver-status',
};

/**
 * The version of a resource extracted from a replaced document that takes it out of active lists, or undefined
 * when nothing changes. The new version of the document re-extracts the same facts, so the old copies are
 * duplicates: `entered-in-error` (status, or verificationStatus for AllergyIntolerance and Condition, whose
 * clinicalStatus must then be absent — invariants ait-2 and con-5), plus a tag saying why. Other types are kept.
 */
export function retireExtracted(resource: Resource): Resource | undefined {
  const out = structuredClone(resource) as Resource & Record<string, unknown>;
  const verification = VERIFICATION_SYSTEMS[resource.resourceType];
  if (verification) {
    const current = (out.verificationStatus as { coding?: { code?: string }[] } | undefined)?.coding?.[0]?.code;
    if (current === 'entered-in-error') return undefined;
    out.verificationStatus = { coding: [{ system: verification, code: 'entered-in-error' }] };
    delete out.clinicalStatus;
  } else if (STATUS_TYPES.has(resource.resourceType)) {
    if (out.status === 'entered-in-error') return undefined;
    out.status = 'entered-in-error';
  } else return undefined;
  out.meta = { ...out.meta, tag: [...(out.meta?.tag ?? []), SUPERSEDED_TAG] };
  return out;
}
