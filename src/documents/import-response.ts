import type { Bundle, OperationOutcome } from '@medplum/fhirtypes';
import { editJsonKeepingNumbers } from '../fhir/json-numbers';
import type { FhirResponse } from '../fhir/request';
import { unmappedOutcome, type UnmappedContent } from '../cda';

const isDocumentEntry = (location: string | undefined): boolean => /(?:^|\/)DocumentReference\/[^/]+(?:\/_history\/[^/]+)?$/.test(location ?? '');

/** What a mapping reports: content not represented (named by section and template) and other notes. */
export interface MappingReport {
  warnings: string[];
  unmapped: UnmappedContent[];
}

/** The mapping report as an OperationOutcome (what was not represented, and why), or undefined when there is nothing to say. */
export function warningsOutcome(report: MappingReport): OperationOutcome | undefined {
  if (!report.warnings.length && !report.unmapped.length) return undefined;
  return unmappedOutcome(report.unmapped, report.warnings);
}

/**
 * The answer of an import or a submission, told what it filed: the mapping warnings as the OperationOutcome of the
 * DocumentReference's entry (`entry.response.outcome`: everything not represented is listed, not only counted), and
 * `Location`/`Content-Location` naming the DocumentReference (for a re-import's 200 as for the first 201). The text is
 * edited without re-writing its numbers (decimals keep their digits).
 */
export function tellDocument(response: FhirResponse, report: MappingReport, options: { headers: boolean } = { headers: true }): FhirResponse {
  const outcome = warningsOutcome(report);
  if (!response.json || (!options.headers && !outcome)) return response;
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
  if (outcome) headers['X-Import-Warnings'] = String(report.warnings.length + report.unmapped.length);
  return { ...response, headers, json };
}
