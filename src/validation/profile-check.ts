import { getAllDataTypes, loadDataType, OperationOutcomeError, tryGetProfile, validateTypedValue } from '@medplum/core';
import type { OperationOutcomeIssue, Resource, StructureDefinition } from '@medplum/fhirtypes';

/** What the check needs to know of a profile. */
export interface CheckedProfile {
  url: string;
  name: string;
  definition: StructureDefinition;
}

/**
 * Registers a profile (with its snapshot) with @medplum/core once. `validateResource(r, { profile })`
 * re-parses the StructureDefinition on every call (~1.5 ms, 30× the validation itself); aliasing the
 * parsed schema under the profile url lets `validateTypedValue` run the same checks from one parse.
 * The alias key is a url, so it never shadows a FHIR type name.
 */
export function registerProfile(profile: CheckedProfile): void {
  loadDataType(profile.definition);
  const schema = tryGetProfile(profile.url);
  if (!schema) throw new Error(`@medplum/core did not register profile ${profile.url}`);
  getAllDataTypes()[profile.url] = schema;
}

/**
 * Checks a resource against one registered profile with @medplum/core and returns its errors only (warnings,
 * such as unverifiable reference targets, do not make a resource invalid), each naming the profile.
 */
export function checkProfile(resource: Resource, profile: CheckedProfile): OperationOutcomeIssue[] {
  let issues: OperationOutcomeIssue[];
  try {
    issues = validateTypedValue({ type: profile.url, value: resource });
  } catch (err) {
    if (!(err instanceof OperationOutcomeError)) throw err;
    issues = err.outcome.issue ?? [];
  }
  return issues.filter((issue) => issue.severity === 'error' || issue.severity === 'fatal').map((issue) => normalise(issue, profile));
}

function normalise(issue: OperationOutcomeIssue, profile: CheckedProfile): OperationOutcomeIssue {
  const text = issue.details?.text ?? issue.diagnostics ?? 'Invalid';
  const missing = issue.code === 'structure' && text === 'Missing required property';
  const expression = issue.expression?.map((e) => pointAtElement(e, issue));
  return {
    severity: 'error',
    code: missing ? 'required' : issue.code,
    diagnostics: `${text} (profile ${profile.name})`,
    ...(expression?.length ? { expression } : {}),
  };
}

/**
 * An invariant of ours (`dmp-*`) of the form `path.exists()` or `path.where(…).exists()` is about that
 * path: `attachment.contentType.exists()` failing on `DocumentReference.content[0]` points at
 * `DocumentReference.content[0].attachment.contentType`, and `content.all(…)` at `DocumentReference`
 * points at `DocumentReference.content`: that tells the client more.
 */
function pointAtElement(expression: string, issue: OperationOutcomeIssue): string {
  if (issue.code !== 'invariant' || !/^Constraint dmp-/.test(issue.details?.text ?? '')) return expression;
  const fhirpath = fhirpathOf(issue) ?? '';
  const path =
    /^([a-z][A-Za-z0-9]*(?:\.[a-z][A-Za-z0-9]*)*)(?:\.where\(.*\))?\.exists\(\)$/.exec(fhirpath)?.[1] ??
    /^([a-z][A-Za-z0-9]*(?:\.[a-z][A-Za-z0-9]*)*)\.all\(.*\)$/.exec(fhirpath)?.[1];
  return path ? `${expression}.${path}` : expression;
}

function fhirpathOf(issue: OperationOutcomeIssue): string | undefined {
  try {
    return (JSON.parse(issue.diagnostics ?? '{}') as { fhirpath?: string }).fhirpath;
  } catch {
    return undefined;
  }
}
