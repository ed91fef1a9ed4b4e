import type { Binary, DocumentReference, OperationOutcomeIssue, Patient, Resource } from '@medplum/fhirtypes';
import { unprocessable } from '../fhir/errors';
import { releaseBaseBundles } from './base-definitions';
import { isBase64Data } from './base64';
import { loadFhirSchema, type CompiledFhirSchema } from './fhir-schema';
import { isImpliedProfile } from './implied-profiles';
import { checkDisplayedText } from './displayed-text';
import { checkInsIdentifiers } from './ins';
import { checkProfile } from './profile-check';
import { loadProfiles, type LoadedProfile } from './profile-loader';
import { toSchemaIssues } from './schema-issues';

export { DMP_DOCUMENT_REFERENCE_PROFILE, DMP_PATIENT_PROFILE } from './implied-profiles';
export { explainInsProblem, INS_SYSTEMS, isInsIdentifier } from './ins';

/**
 * What a check covers. `profiles: false` leaves out our StructureDefinitions (claimed or implied) and keeps the
 * FHIR schema, base64 and INS rules: for resources the server builds itself (the CDA mapping), whose profile
 * conformance is a property of the mapper, tested on every example, while their values come from the sender.
 */
export interface ValidateOptions {
  profiles?: boolean;
}

/** Validates resources before they are written; `[]` means valid. */
export interface Validator {
  validate(resource: Resource, options?: ValidateOptions): OperationOutcomeIssue[];
  /** The profiles loaded from `profiles/`, for the CapabilityStatement (`supportedProfile`). */
  readonly profiles: readonly { url: string; type: string }[];
}

/**
 * Builds a validator: the FHIR R4 JSON schema (compiled once per process) plus our profiles (loaded
 * once per directory). Create it at start-up; a second call reuses both caches.
 */
export function createValidator(options: { profilesDir?: string } = {}): Validator {
  let schema: CompiledFhirSchema;
  let profiles: LoadedProfile[];
  try {
    schema = loadFhirSchema();
    profiles = loadProfiles(options.profilesDir);
  } finally {
    releaseBaseBundles();
  }
  return {
    profiles: profiles.map(({ url, type }) => ({ url, type })),
    validate: (resource, options) => validateResource(schema, options?.profiles === false ? [] : profiles, resource),
  };
}

let defaultValidator: Validator | undefined;

/** The loaded profiles by resource type, as `AppOptions.profiles` wants them for the CapabilityStatement. */
export function profilesByType(validator: Validator): Record<string, string[]> {
  const byType: Record<string, string[]> = {};
  for (const { url, type } of validator.profiles) (byType[type] ??= []).push(url);
  return byType;
}

/** Throws a 422 FhirError listing every problem when the resource is invalid (default profiles unless a validator is given). */
export function assertValid(resource: Resource, validator?: Validator, options?: ValidateOptions): void {
  const issues = (validator ?? (defaultValidator ??= createValidator())).validate(resource, options);
  if (issues.length > 0) throw unprocessable(issues);
}

function validateResource(schema: CompiledFhirSchema, profiles: LoadedProfile[], resource: Resource): OperationOutcomeIssue[] {
  const structural = [...checkStructure(schema, resource), ...checkInlineBase64(resource)];
  if (!isKnownResource(schema, resource)) return structural;
  const rules = [...(resource.resourceType === 'Patient' ? checkInsIdentifiers(resource as Patient) : []), ...checkDisplayedText(resource)];
  let profileIssues: OperationOutcomeIssue[] = [];
  try {
    profileIssues = checkProfiles(profiles, resource);
  } catch (err) {
    // A structurally broken resource can trip the profile validator; the schema issues already say why.
    if (structural.length === 0) throw err;
  }
  return [...structural, ...rules, ...withoutRepeats(profileIssues, structural)];
}

/** Structural check; Binary `data` (up to tens of MB) is taken out of the schema pass and checked as base64. */
function checkStructure(schema: CompiledFhirSchema, resource: Resource): OperationOutcomeIssue[] {
  if (resource?.resourceType !== 'Binary' || !('data' in resource)) return toSchemaIssues(resource, schema.validate(resource));
  const { data, ...rest } = resource as Binary;
  const issues = toSchemaIssues(resource, schema.validate(rest));
  if (typeof data !== 'string') {
    issues.push({ severity: 'error', code: 'structure', diagnostics: 'Expected string (base64)', expression: ['Binary.data'] });
  } else if (!isBase64Data(resource, data)) {
    issues.push({ severity: 'error', code: 'value', diagnostics: 'Binary.data is not valid base64', expression: ['Binary.data'] });
  }
  return issues;
}

/** Inline document content (ITI-105 `attachment.data`) must be base64 too; the schema does not check it. */
function checkInlineBase64(resource: Resource): OperationOutcomeIssue[] {
  if (resource?.resourceType !== 'DocumentReference') return [];
  const issues: OperationOutcomeIssue[] = [];
  const contents = (resource as DocumentReference).content;
  // Runs beside the schema check, which reports a `content` of the wrong shape itself.
  (Array.isArray(contents) ? contents : []).forEach((content, i) => {
    const data = content?.attachment?.data;
    if (typeof data === 'string' && !isBase64Data(content.attachment as object, data)) {
      const expression = `DocumentReference.content[${i}].attachment.data`;
      issues.push({ severity: 'error', code: 'value', diagnostics: 'Attachment data is not valid base64', expression: [expression] });
    }
  });
  return issues;
}

function isKnownResource(schema: CompiledFhirSchema, resource: Resource): boolean {
  return typeof resource === 'object' && resource !== null && schema.resourceTypes.has(resource.resourceType);
}

/** Claimed profiles we know (unknown ones are ignored, as FHIR allows) plus the profiles implied by content. */
function checkProfiles(profiles: LoadedProfile[], resource: Resource): OperationOutcomeIssue[] {
  const claimed = Array.isArray(resource.meta?.profile) ? resource.meta.profile : [];
  const issues: OperationOutcomeIssue[] = [];
  for (const profile of profiles) {
    const index = claimed.indexOf(profile.url);
    if (index >= 0 && profile.type !== resource.resourceType) {
      const diagnostics = `Profile ${profile.name} applies to ${profile.type}, not ${resource.resourceType}`;
      issues.push({ severity: 'error', code: 'invalid', diagnostics, expression: [`${resource.resourceType}.meta.profile[${index}]`] });
    } else if (index >= 0 || isImpliedProfile(profile.url, resource)) {
      issues.push(...checkProfile(resource, profile));
    }
  }
  return issues;
}

/** Drops profile issues about an element the schema already reported (or one inside it). */
function withoutRepeats(profileIssues: OperationOutcomeIssue[], structural: OperationOutcomeIssue[]): OperationOutcomeIssue[] {
  // A primitive's extension (`DocumentReference._date`) is what the profile validator calls the primitive itself.
  const reported = structural.flatMap((i) => i.expression ?? []).map((e) => e.replace(/\._(?=[A-Za-z])/g, '.'));
  return profileIssues.filter(
    (issue) => !(issue.expression ?? []).some((e) => reported.some((r) => e === r || e.startsWith(`${r}.`) || e.startsWith(`${r}[`))),
  );
}
