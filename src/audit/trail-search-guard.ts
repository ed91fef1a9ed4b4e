import { badRequest } from '../fhir/errors';
import type { FhirRequest } from '../fhir/request';
import { AUDIT_SEARCH_PARAMS } from './audit-index';

/** True when the request is a search of AuditEvents (`GET /AuditEvent?…` or `POST /AuditEvent/_search`). */
function isTrailSearch(req: FhirRequest): boolean {
  const [type, second] = req.segments;
  return type === 'AuditEvent' && (req.segments.length === 1 || (req.segments.length === 2 && second === '_search'));
}

/**
 * Refuses (400) an AuditEvent search on a parameter the audit writer does not index: answering it from
 * index rows that were never written would return an empty or partial trail as if it were complete.
 * Result parameters (`_count`, `_sort`, …) pass.
 */
export function checkTrailSearch(req: FhirRequest): void {
  if (!isTrailSearch(req)) return;
  for (const [name] of req.query) {
    const param = name.split(/[:.]/)[0];
    if (param.startsWith('_') || AUDIT_SEARCH_PARAMS.has(param)) continue;
    throw badRequest(`AuditEvent search supports ${[...AUDIT_SEARCH_PARAMS].join(', ')}; '${name}' is not indexed`);
  }
}
