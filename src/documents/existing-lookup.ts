import type { Bundle, BundleEntry } from '@medplum/fhirtypes';
import type { RequestContext } from '../fhir/context';
import { findMatches, parseQueryString } from '../fhir/handlers/conditional';
import { sql } from '../store/sql';
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

/** Directory entries a document names (authors, organisations), matched by the system on their (national) identifier. */
const DIRECTORY_MATCHED = new Set(['Practitioner', 'Organization']);

/**
 * The directory entries carrying the identifier of a conditional create, whoever the caller: the directory is no
 * record, and a caller that cannot read it (the Assurance Maladie) must not create a second Practitioner or
 * Organization at each import (issue 13 item 8). Unlocked first (the usual case: a known author); when none is found,
 * again under the conditional-create lock on the same criteria, held to commit: a concurrent first import of the same
 * author waits, then finds the entry this one creates. Only the type's rows are looked at, and only to link to them.
 */
async function directoryMatches(svc: FhirService, ctx: RequestContext, type: string, criteria: string): Promise<StoredResource[]> {
  const system: RequestContext = { ...ctx, lookupAccess: sql`r.type = ${type}` };
  const unlocked = await lookupExisting(svc, system, type, criteria);
  return unlocked.length ? unlocked : findMatches(svc, system, type, criteria);
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
      const type = entry.resource.resourceType;
      const matches = DIRECTORY_MATCHED.has(type) ? await directoryMatches(svc, ctx, type, criteria) : await lookupExisting(svc, ctx, type, criteria);
      if (matches.length === 1) {
        map.set(entry.fullUrl, `${matches[0].resourceType}/${matches[0].id}`);
        continue;
      }
    }
    kept.push(entry);
  }
  return { bundle: { ...bundle, entry: kept }, map };
}

/**
 * The directory entries an MHD submission's CDA extraction adds (Practitioner, Organization conditional creates, from
 * entry `from` on) that already exist, linked instead of created — whoever the caller, as for `$import` (the
 * Assurance Maladie reads no directory). Runs before the transaction: the first submission naming a new entry still
 * goes through the transaction's own conditional create.
 */
export async function linkKnownDirectoryEntries(svc: FhirService, ctx: RequestContext, bundle: Bundle, from: number): Promise<Bundle> {
  const map = new Map<string, string>();
  const entries = bundle.entry ?? [];
  const kept: BundleEntry[] = entries.slice(0, from);
  for (const entry of entries.slice(from)) {
    const type = entry.resource?.resourceType;
    const criteria = entry.request?.method === 'POST' ? entry.request.ifNoneExist : undefined;
    if (type && criteria && entry.fullUrl && DIRECTORY_MATCHED.has(type)) {
      const matches = await lookupExisting(svc, { ...ctx, lookupAccess: sql`r.type = ${type}` }, type, criteria);
      if (matches.length === 1) {
        map.set(entry.fullUrl, `${type}/${matches[0].id}`);
        continue;
      }
    }
    kept.push(entry);
  }
  if (!map.size) return bundle;
  return { ...bundle, entry: kept.map((e) => (e.resource ? { ...e, resource: rewriteReferences(e.resource, map) } : e)) };
}
