import type { Resource } from '@medplum/fhirtypes';
import { planCdaImport } from '../../../src/cda';
import type { Validator } from '../../../src/validation';

/** The resources a CDA document maps to. */
export const mappedResourcesOf = (bytes: Buffer): Resource[] => (planCdaImport(bytes).bundle.entry ?? []).map((e) => e.resource as Resource);

/** The mapped resources the full validator (FHIR schema and our profiles) refuses, with their issues; none expected. */
export function invalidMappedResources(validator: Validator, bytes: Buffer): { type: string; issues: unknown[] }[] {
  return mappedResourcesOf(bytes)
    .map((resource) => ({ type: resource.resourceType, issues: validator.validate(resource) }))
    .filter((r) => r.issues.length > 0);
}
