import type { Bundle, BundleEntry } from '@medplum/fhirtypes';
import type { RequestContext } from '../fhir/context';
import { parseQueryString } from '../fhir/handlers/conditional';
import { parseSearch } from '../fhir/search/parse';
import type { FhirService } from '../fhir/service';
import type { StoredResource } from '../store/repository';

/**
 * Resources matching conditional criteria, WITHOUT the transaction-long advisory lock `findMatches` takes. Used
 * only to skip conditional creates of resources that already exist (authors, organisations, studies, the
 * patient): a lab's every report names the same author, and holding that lock to commit would serialise all
 * its imports. When nothing matches, the caller falls back to the locked conditional create, so two concurrent
 * first imports still create one resource.
 */
export async function lookupExisting(svc: FhirService, ctx: RequestContext, resourceType: string, query: string | [string, string][]): Promise<StoredResource[]> {
  const request = parseSearch(resourceType, typeof query === 'string' ? parseQueryString(query) : query, true);
  request.count = 2;
  request.total = 'none';
  const lookupCtx = ctx.lookupAccess ? { ...ctx, access: ctx.lookupAccess } : ctx;
  return (await svc.repo.search(lookupCtx, request)).matches;
}

/**
 * Drops the conditional creates (`ifNoneExist`) of a bundle whose resource already exists exactly once, and
 * answers the map from their fullUrls to the existing `Type/id` (to rewrite the references to them).
 */
export async function skipExistingConditionals(svc: FhirService, ctx: RequestContext, bundle: Bundle): Promise<{ bundle: Bundle; map: Map<string, string> }> {
  const map = new Map<string, string>();
  const kept: BundleEntry[] = [];
  for (const entry of bundle.entry ?? []) {
    const criteria = entry.request?.method === 'POST' ? entry.request.ifNoneExist : undefined;
    if (criteria && entry.fullUrl && entry.resource) {
      const matches = await lookupExisting(svc, ctx, entry.resource.resourceType, criteria);
      if (matches.length === 1) {
        map.set(entry.fullUrl, `${matches[0].resourceType}/${matches[0].id}`);
        continue;
      }
    }
    kept.push(entry);
  }
  return { bundle: { ...bundle, entry: kept }, map };
}
