import type { Patient, Resource } from '@medplum/fhirtypes';
import { hasIns } from './ins';

export const DMP_PATIENT_PROFILE = 'https://dmp-fhir-adapter.org/fhir/StructureDefinition/dmp-patient';
export const DMP_DOCUMENT_REFERENCE_PROFILE = 'https://dmp-fhir-adapter.org/fhir/StructureDefinition/dmp-document-reference';

/**
 * Profiles that apply without being claimed in `meta.profile`: a Patient carrying an INS must show
 * the INS identity traits, and every DocumentReference is a DMP document with the minimal metadata.
 */
const IMPLIED: Record<string, (resource: Resource) => boolean> = {
  [DMP_PATIENT_PROFILE]: (resource) => resource.resourceType === 'Patient' && hasIns(resource as Patient),
  [DMP_DOCUMENT_REFERENCE_PROFILE]: (resource) => resource.resourceType === 'DocumentReference',
};

/** Answers whether a profile applies to a resource that does not claim it. */
export function isImpliedProfile(profileUrl: string, resource: Resource): boolean {
  return IMPLIED[profileUrl]?.(resource) ?? false;
}
