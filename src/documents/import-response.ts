import type { Bundle, OperationOutcome } from '@medplum/fhirtypes';
import { editJsonKeepingNumbers } from '../fhir/json-numbers';
import type { FhirResponse } from '../fhir/request';

const isDocumentEntry = (location: string | undefined): boolean => /(?:^|\/)DocumentReference\/[^/]+(?:\/_history\/[^/]+)?$/.test(location ?? '');

/** The mapping warnings as an OperationOutcome (what was not represented, and why), or undefined when there are none. */
export function warningsOutcome(warnings: string[]): OperationOutcome | undefined {
  if (!warnings.length) return undefined;
  return {
    resourceType: 'OperationOutcome',
    issue: warnings.map((text) => ({ severity: 'warning', code: 'incomplete', diagnostics: text, details: { text } })),
  };
}

/**
 * The answer of an import or a submission, told what it filed: the mapping warnings as the OperationOutcome of the
 * DocumentReference's entry (`entry.response.outcome`: everything not represented is listed, not only counted), and
 * `Location`/`Content-Location` naming the DocumentReference (for a re-import's 200 as for the first 201). The text is
 * edited without re-writing its numbers (decimals keep their digits).
 */
export function tellDocument(response: FhirResponse, warnings: string[], options: { headers: boolean } = { headers: true }): FhirResponse {
  if (!response.json || (!options.headers && !warnings.length)) return response;
  const outcome = warningsOutcome(warnings);
  let location: string | undefined;
  const json = editJsonKeepingNumbers<Bundle>(response.json, (bundle) => {
    const entry = bundle.entry?.find((e) => isDocumentEntry(e.response?.location));
    location = entry?.response?.location;
    if (entry?.response && outcome) entry.response.outcome = outcome;
    return bundle;
  });
  if (!options.headers) return { ...response, json };
  const headers: Record<string, string> = { ...response.headers };
  if (location) {
    headers.Location = location;
    headers['Content-Location'] = location;
  }
  if (warnings.length) headers['X-Import-Warnings'] = String(warnings.length);
  return { ...response, headers, json };
}
