import type { Bundle, BundleEntry, Identifier, Resource } from '@medplum/fhirtypes';
import type { RequestContext } from '../fhir/context';
import { parseQueryString } from '../fhir/handlers/conditional';
import { DIRECTORY_MATCHED, earlierCreate, matchDirectoryEntry, unlinkedIdentifier, unlinkReferences } from './directory-match';
import { rewriteReferences } from '../fhir/handlers/bundle-references';
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
 * The directory conditionals of a bundle's entries from `from` on (the people and organisations a document names,
 * `matchDirectoryEntry`), resolved: entries found are linked (`existing`: fullUrl → `Type/id`), new ones keep their
 * conditional create on every spelling (one create per holder: a second entry naming the same structure or person is
 * linked to the first, `earlierCreate`), those the directory cannot tell are dropped and the document names them by identifier. Other conditional
 * creates (studies …) are looked up as the caller, when `others` is set ($import), and dropped when found once.
 */
async function resolveConditionals(svc: FhirService, ctx: RequestContext, bundle: Bundle, options: { from: number; lock: boolean; others: boolean }): Promise<{ bundle: Bundle; map: Map<string, string> }> {
  const map = new Map<string, string>();
  const unlinked = new Map<string, Identifier>();
  const created = new Map<string, { keys: string[]; fullUrl: string }[]>();
  const entries = bundle.entry ?? [];
  const kept: BundleEntry[] = entries.slice(0, options.from);
  for (const entry of entries.slice(options.from)) {
    const criteria = entry.request?.method === 'POST' ? entry.request.ifNoneExist : undefined;
    const resource = entry.resource;
    if (criteria && entry.fullUrl && resource && DIRECTORY_MATCHED.has(resource.resourceType)) {
      const match = await matchDirectoryEntry(svc, ctx, resource, criteria, options.lock);
      if (match.kind === 'existing') map.set(entry.fullUrl, match.reference);
      else if (match.kind === 'unlinked') unlinked.set(entry.fullUrl, match.identifier);
      else {
        const earlier = created.get(resource.resourceType) ?? [];
        const twin = earlierCreate(earlier, match.keys);
        if (twin.found) map.set(entry.fullUrl, twin.found);
        else if (twin.ambiguous) unlinked.set(entry.fullUrl, unlinkedIdentifier(resource, match.keys));
        else {
          created.set(resource.resourceType, [...earlier, { keys: match.keys, fullUrl: entry.fullUrl }]);
          kept.push({ ...entry, request: { ...entry.request, method: 'POST', url: resource.resourceType, ifNoneExist: match.criteria } });
        }
      }
      continue;
    }
    if (criteria && entry.fullUrl && resource && options.others) {
      const matches = await lookupExisting(svc, ctx, resource.resourceType, criteria);
      if (matches.length === 1) {
        map.set(entry.fullUrl, `${matches[0].resourceType}/${matches[0].id}`);
        continue;
      }
    }
    kept.push(entry);
  }
  const resolved = unlinked.size ? kept.map((e) => (e.resource ? { ...e, resource: unlinkReferences(e.resource, unlinked) as Resource } : e)) : kept;
  return { bundle: { ...bundle, entry: resolved }, map };
}

/**
 * Drops the conditional creates (`ifNoneExist`) of an import's bundle whose resource already exists exactly once (the
 * directory's: `matchDirectoryEntry`), and answers the map from their fullUrls to the existing `Type/id` (to rewrite the
 * references to them).
 */
export async function skipExistingConditionals(svc: FhirService, ctx: RequestContext, bundle: Bundle): Promise<{ bundle: Bundle; map: Map<string, string> }> {
  return resolveConditionals(svc, ctx, bundle, { from: 0, lock: true, others: true });
}

/**
 * The directory entries an MHD submission's CDA extraction adds (Practitioner, Organization conditional creates, from
 * entry `from` on) that already exist, linked instead of created — whoever the caller, as for `$import` (the
 * Assurance Maladie reads no directory). Runs before the transaction: the first submission naming a new entry still
 * goes through the transaction's own conditional create (on every spelling).
 */
export async function linkKnownDirectoryEntries(svc: FhirService, ctx: RequestContext, bundle: Bundle, from: number): Promise<Bundle> {
  const resolved = await resolveConditionals(svc, ctx, bundle, { from, lock: false, others: false });
  if (!resolved.map.size) return resolved.bundle;
  return { ...resolved.bundle, entry: (resolved.bundle.entry ?? []).map((e) => (e.resource ? { ...e, resource: rewriteReferences(e.resource, resolved.map) } : e)) };
}
