import type { FhirRequest } from '../../../src/fhir/request';
import { checkTrailSearch } from '../../../src/audit/trail-search-guard';

const request = (segments: string[], query: [string, string][]): FhirRequest => ({ method: 'GET', baseUrl: 'http://x/fhir', segments, query, headers: {} });

describe('AuditEvent search guard', () => {
  it('lets a trail search on the indexed parameters and result parameters through', () => {
    expect(() => checkTrailSearch(request(['AuditEvent'], [['patient', 'p1'], ['date', 'ge2026-01-01'], ['agent', 'Practitioner/x'], ['action', 'R'], ['purpose', 'TREAT'], ['_count', '50'], ['_sort', 'date'], ['date:missing', 'false']]))).not.toThrow();
  });

  it('refuses with 400 a trail search on a parameter the writer does not index', () => {
    expect(() => checkTrailSearch(request(['AuditEvent'], [['patient', 'p1'], ['entity', 'DocumentReference/d1']]))).toThrow(expect.objectContaining({ status: 400 }));
    expect(() => checkTrailSearch(request(['AuditEvent', '_search'], [['subtype', 'read']]))).toThrow(/'subtype' is not indexed/);
  });

  it('leaves requests other than AuditEvent searches alone', () => {
    expect(() => checkTrailSearch(request(['Observation'], [['entity', 'x']]))).not.toThrow();
    expect(() => checkTrailSearch(request(['AuditEvent', 'a1'], [['entity', 'x']]))).not.toThrow();
  });
});
