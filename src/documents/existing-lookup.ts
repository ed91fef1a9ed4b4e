import type { Bundle, BundleEntry, BundleEntryResponse, Identifier, Resource } from '@medplum/fhirtypes';
import { assertClientCriteria, displayOf, unlinkedEntryResponse } from './client-directory-entries';
import type { RequestContext } from '../fhir/context';
import { parseQueryString } from '../fhir/handlers/conditional';
import { DIRECTORY_MATCHED, earlierCreate, matchDirectoryEntry, nameReferences, unlinkedIdentifier, unlinkReferences, type Unlinked } from './directory-match';
import { conditionalReferences, rewriteReferences } from '../fhir/handlers/bundle-references';
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

/** A directory conditional create kept in the transaction (one per holder), and the criteria it was given. */
interface Created {
  keys: string[];
  fullUrl: string;
  criteria: string;
}

/** A resolved bundle: references to rewrite, and the answers of client entries not sent to the transaction (by index). */
export interface ResolvedConditionals {
  bundle: Bundle;
  map: Map<string, string>;
  answered: Map<number, BundleEntryResponse>;
}

/**
 * The directory conditionals of a bundle's entries from `from` on (the people and organisations a document names,
 * `matchDirectoryEntry`), resolved: entries found are linked (`existing`: fullUrl → `Type/id`), new ones keep their
 * conditional create on every spelling (one create per holder: a second entry naming the same structure or person is
 * linked to the first, `earlierCreate`), those the directory cannot tell are dropped and the document names them by identifier. Other conditional
 * creates (studies …) are looked up as the caller, when `others` is set ($import), and dropped when found once.
 *
 * Entries before `clientEntries` are an MHD client's own (`client-directory-entries.ts`): they keep an entry in the
 * answer (MHD: one per request entry), so a found one becomes a conditional create on its id (answered `200` naming
 * it), a new one a conditional create on every spelling (or on the criteria of the earlier entry of its holder: one id
 * for both), and one the directory cannot tell — or named by no national identifier and found nowhere, which a token
 * may not add to the directory — is not sent, answered by `answered`. Extracted entries come after them and are linked
 * to the client's entry of the same holder.
 */
async function resolveConditionals(svc: FhirService, ctx: RequestContext, bundle: Bundle, options: { from: number; lock: boolean; others: boolean; clientEntries?: number }): Promise<ResolvedConditionals> {
  const map = new Map<string, string>();
  const unlinked = new Map<string, Unlinked>();
  const names = new Map<string, string>();
  const answered = new Map<number, BundleEntryResponse>();
  const created = new Map<string, Created[]>();
  const entries = bundle.entry ?? [];
  const clientEntries = options.clientEntries ?? 0;
  const kept: BundleEntry[] = [];
  for (const [index, entry] of entries.entries()) {
    const client = index < clientEntries;
    if (index < options.from && !client) {
      kept.push(entry);
      continue;
    }
    const criteria = entry.request?.method === 'POST' ? entry.request.ifNoneExist : undefined;
    const resource = entry.resource;
    const directory = !!criteria && !!resource && DIRECTORY_MATCHED.has(resource.resourceType);
    if (client && !(directory && entry.fullUrl)) {
      if (directory) assertClientCriteria(resource as Resource, criteria as string, index);
      kept.push(entry);
      continue;
    }
    if (directory && entry.fullUrl && resource && criteria) {
      if (client) assertClientCriteria(resource, criteria, index);
      const type = resource.resourceType;
      const conditional = (ifNoneExist: string): BundleEntry => ({ ...entry, request: { ...entry.request, method: 'POST', url: type, ifNoneExist } });
      const unlink = (identifier: Identifier): void => {
        unlinked.set(entry.fullUrl as string, { identifier, display: client ? displayOf(resource) : undefined });
        if (client) answered.set(index, unlinkedEntryResponse(type, identifier));
      };
      const display = client ? displayOf(resource) : undefined;
      if (display) names.set(entry.fullUrl, display);
      const match = await matchDirectoryEntry(svc, ctx, resource, criteria, options.lock);
      if (match.kind === 'existing') {
        if (client) kept.push(conditional(`_id=${match.reference.slice(type.length + 1)}`));
        else map.set(entry.fullUrl, match.reference);
      } else if (match.kind === 'unlinked') unlink(match.identifier);
      else if (client && !match.keys.length) unlink(unlinkedIdentifier(resource, match.keys));
      else {
        const earlier = created.get(type) ?? [];
        const twin = earlierCreate(earlier, match.keys);
        if (twin.found && client) kept.push(conditional(earlier.find((e) => e.fullUrl === twin.found)?.criteria as string));
        else if (twin.found) map.set(entry.fullUrl, twin.found);
        else if (twin.ambiguous) unlink(unlinkedIdentifier(resource, match.keys));
        else {
          created.set(type, [...earlier, { keys: match.keys, fullUrl: entry.fullUrl, criteria: match.criteria }]);
          kept.push(conditional(match.criteria));
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
  for (const entry of entries.slice(0, clientEntries)) {
    if (entry.resource) await resolveDirectoryReferences(svc, ctx, entry.resource, map, unlinked);
  }
  const named = names.size ? kept.map((e) => (e.resource ? { ...e, resource: nameReferences(e.resource, names) as Resource } : e)) : kept;
  const resolved = unlinked.size ? named.map((e) => (e.resource ? { ...e, resource: unlinkReferences(e.resource, unlinked) as Resource } : e)) : named;
  return { bundle: { ...bundle, entry: resolved }, map, answered };
}

/**
 * The conditional references of a client's entry to a directory entry by identifier (`Practitioner?identifier=<system>|<value>`),
 * resolved as its conditional creates are (`matchDirectoryEntry`): found → `Type/id`; the directory cannot tell → named
 * by identifier. Why: in a document submission the core resolves them among every directory row with the client's
 * exact criteria, so a physician named by a hospital's local identifier was the entry a professional had added with
 * that identifier beside his own RPPS, and one named in another spelling than the directory's matched nothing (422).
 * Other criteria (`_id`, names …) name what a literal reference names: left to the core.
 */
async function resolveDirectoryReferences(svc: FhirService, ctx: RequestContext, resource: Resource, map: Map<string, string>, unlinked: Map<string, Unlinked>): Promise<void> {
  for (const reference of conditionalReferences(resource)) {
    const [type, query] = [reference.slice(0, reference.indexOf('?')), reference.slice(reference.indexOf('?') + 1)];
    if (!DIRECTORY_MATCHED.has(type) || map.has(reference) || unlinked.has(reference)) continue;
    const identifier = identifiersNamed(query);
    if (!identifier) continue;
    const match = await matchDirectoryEntry(svc, ctx, { resourceType: type, identifier } as Resource, query, false);
    if (match.kind === 'existing') map.set(reference, match.reference);
    else if (match.kind === 'unlinked') unlinked.set(reference, { identifier: match.identifier });
  }
}

/** The identifiers criteria name when they are only `identifier` tokens (`system|value` or a bare value), else undefined. */
function identifiersNamed(query: string): Identifier[] | undefined {
  const params = parseQueryString(query);
  if (!params.length || params.some(([name, value]) => name !== 'identifier' || value.includes('\\'))) return undefined;
  return params.flatMap(([, value]) => value.split(',')).map((token) => {
    const bar = token.indexOf('|');
    return bar < 0 ? { value: token } : { ...(bar > 0 ? { system: token.slice(0, bar) } : {}), value: token.slice(bar + 1) };
  });
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
 * The directory entries of an MHD submission (Practitioner, Organization conditional creates), matched by the system on
 * every spelling of their national identifiers — whoever the caller, as for `$import` (the Assurance Maladie reads no
 * directory): the client's own (entries before `requestEntries`, see `resolveConditionals`) and those its CDA
 * extraction adds (linked instead of created when they exist). Runs before the transaction, unlocked: the first
 * submission naming a new entry still goes through the transaction's own conditional create (on every spelling).
 */
export async function linkKnownDirectoryEntries(svc: FhirService, ctx: RequestContext, bundle: Bundle, requestEntries: number): Promise<{ bundle: Bundle; answered: Map<number, BundleEntryResponse> }> {
  const resolved = await resolveConditionals(svc, ctx, bundle, { from: requestEntries, lock: false, others: false, clientEntries: requestEntries });
  if (!resolved.map.size) return resolved;
  const entry = (resolved.bundle.entry ?? []).map((e) => (e.resource ? { ...e, resource: rewriteReferences(e.resource, resolved.map) } : e));
  return { bundle: { ...resolved.bundle, entry }, answered: resolved.answered };
}
