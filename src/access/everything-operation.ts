import type { BundleLink } from '@medplum/fhirtypes';
import { bundleJson, resourceUrl, type EntryParts } from '../fhir/bundle-json';
import { badRequest } from '../fhir/errors';
import { withBinaryData } from '../fhir/handlers/read';
import type { RequestContext } from '../fhir/context';
import type { FhirRequest, FhirResponse } from '../fhir/request';
import { dateRange } from '../fhir/search/values';
import { readEvent, type FhirService, type OperationDefinitionEntry } from '../fhir/service';
import { parsePageSize } from '../store/keyset-paging';
import type { StoredResource } from '../store/repository';

function param(req: FhirRequest, name: string): string | undefined {
  return req.query.find(([k]) => k === name)?.[1];
}

/** The `_since` of the request as an ISO instant (400 when it is not one). */
function sinceOf(req: FhirRequest): string | undefined {
  const since = param(req, '_since');
  if (!since) return undefined;
  const range = dateRange(since);
  if (!range) throw badRequest(`Invalid _since "${since}": expected an instant`);
  return range.low;
}

function pageLink(req: FhirRequest, patientId: string, count: number, cursor?: string): string {
  const params = new URLSearchParams(req.query.filter(([k]) => k !== '_cursor' && k !== '_count'));
  params.set('_count', String(count));
  if (cursor) params.set('_cursor', cursor);
  return `${req.baseUrl}/Patient/${encodeURIComponent(patientId)}/$everything?${params}`;
}

/**
 * `Patient/{id}/$everything` (FHIR R4 Patient-everything): every resource of the patient's compartment the
 * caller may see, as a searchset paged by (type, id) keyset, with `total`. The access predicate is in the
 * same query as the page and the count, so masked documents, their Binaries and extracted resources never
 * appear nor count. Supports `_count`, `_type`, `_since` and the `_cursor` of the next link.
 */
export async function everythingHandler(svc: FhirService, ctx: RequestContext, req: FhirRequest, target: { id?: string }): Promise<FhirResponse> {
  const patientId = target.id as string;
  // 404 exactly like a read when the Patient is missing or hidden from the caller.
  await svc.repo.read(ctx, 'Patient', patientId);
  // Lowered to EVERYTHING_MAX_COUNT: each entry may carry a document's bytes (a Binary).
  const count = Math.min(parsePageSize(param(req, '_count'), { min: 1 }), svc.limits.maxEverythingCount);
  const types = param(req, '_type')?.split(',').map((t) => t.trim()).filter(Boolean);
  const { resources: page, total, next } = await svc.repo.compartment(ctx, {
    patientId, types, since: sinceOf(req), count, cursor: param(req, '_cursor'),
  });
  const link: BundleLink[] = [{ relation: 'self', url: pageLink(req, patientId, count, param(req, '_cursor')) }];
  if (next) link.push({ relation: 'next', url: pageLink(req, patientId, count, next) });
  const entries: EntryParts[] = [];
  for (const s of page) entries.push(await entryOf(svc, ctx, req, s));
  // The operation's name without `$`, as the trail names operations (`audit-event-builder.ts`): it read « $$everything ».
  const reads = [readEvent('operation', page, { resourceType: 'Patient', operation: 'everything' })];
  return { status: 200, json: bundleJson({ type: 'searchset', total, link, timestamp: new Date().toISOString() }, entries), reads };
}

async function entryOf(svc: FhirService, ctx: RequestContext, req: FhirRequest, stored: StoredResource): Promise<EntryParts> {
  let text = stored.text;
  if (stored.resourceType === 'Binary' && text) text = withBinaryData(text, (await svc.repo.readBinaryData(ctx, stored.id, stored.versionId))?.data);
  return { fullUrl: resourceUrl(req.baseUrl, stored), resourceText: text, search: { mode: 'match' } };
}

/** The `$everything` operation entry for the wiring. */
export const everythingOperation: OperationDefinitionEntry = {
  name: '$everything',
  level: 'instance',
  resourceType: 'Patient',
  methods: ['GET', 'POST'],
  handler: (svc, ctx, req, target) => everythingHandler(svc, ctx, req, target),
  documentation: 'Every resource of the patient compartment the caller may see (consent-filtered), paged; _count, _type, _since',
};
