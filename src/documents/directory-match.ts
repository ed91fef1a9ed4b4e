import type { Identifier, Resource } from '@medplum/fhirtypes';
import { nationalIdentifiers, spellingsOf } from '../access/directory-rules';
import { directoryHolderLocks, nationalHolder, namesOneHolder } from '../access/national-identifiers';
import { queryValue } from '../cda/bundle-builder';
import type { RequestContext } from '../fhir/context';
import { findMatches, parseQueryString, parseStored } from '../fhir/handlers/conditional';
import { parseSearch } from '../fhir/search/parse';
import type { FhirService } from '../fhir/service';
import { sql } from '../store/sql';
import type { StoredResource } from '../store/repository';

/** Directory entries a document names (authors, organisations), matched by the system on their national identifiers. */
export const DIRECTORY_MATCHED = new Set(['Practitioner', 'Organization']);

/**
 * What a person or organisation a document names becomes: an existing entry (`Type/id`); a new entry, created by the
 * conditional create on `criteria` (every spelling of its national identifiers); or no entry — the document names it by
 * `identifier` (with the display it gives), because the directory cannot say which entry it is.
 */
export type DirectoryMatch =
  | { kind: 'existing'; reference: string }
  | { kind: 'new'; criteria: string; keys: string[] }
  | { kind: 'unlinked'; identifier: Identifier };

/** The conditional criteria of national identifiers: every spelling of each, sorted (one lock key per holder set). */
function criteriaOf(keys: readonly string[]): string {
  return `identifier=${spellingsOf(keys).sort().map((k) => `${queryValue(k.slice(0, k.indexOf('|')))}|${queryValue(k.slice(k.indexOf('|') + 1))}`).join(',')}`;
}

/**
 * Finds the directory entry of a person or organisation a document names (issue 11: "directory entries are written
 * only by the importer: created from documents, matched by national identifier, never duplicated"). Looked up by the
 * system, whoever the caller (the Assurance Maladie reads no directory; the caller's view must not decide which entry a
 * document points at), on every spelling of every national identifier the document gives (`nationalSpellings`: an
 * entry kept as `RPPS|<RPPS>` is the author `IdNat_PS|8<RPPS>`, one kept as `FINESS|<n>` the custodian
 * `IdNat_Struct|1<n>`). Before, only the first identifier in the document's spelling was looked for: the import then
 * created a second Organization, or its Practitioner create met the directory's 409 and the whole document was refused.
 *
 * No entry is linked, and none created, when the directory cannot say which it is: the document names two people or
 * two structures of one registry, two live entries carry its identifiers, or the one that does also carries another
 * person's or structure's (`namesOneHolder`); or the document gives no national identifier and the entry carrying its
 * (local) identifier has one — a local identifier vouches for nothing: anyone could add an entry carrying his own RPPS
 * and a hospital's local id of a physician, and be linked as the author of that hospital's documents. (A person or
 * organisation with no national identifier is still found or created by its first identifier among the entries that
 * have none: only the server's own imports make those, a token's directory create needs a national identifier.)
 * The document then names the person or organisation by identifier, with the name it gives: what the clinician reads
 * in the document itself, and no directory entry (whose name and roles the patient's pages show) that may be someone
 * else's. The document is not refused for
 * that: a lab result must not wait for a directory correction (a feeder's document still needs an authorised author,
 * `../access/feeder-author.ts`, which an author named by identifier is when the patient authorised that identifier).
 * `lockWhenAbsent`: when nothing is found, look again under the conditional-create lock (held to commit), so two first
 * imports create one entry. The mapper's `criteria` (its first identifier) give way to every spelling of all national ones.
 */
export async function matchDirectoryEntry(svc: FhirService, ctx: RequestContext, resource: Resource, criteria: string, lockWhenAbsent: boolean): Promise<DirectoryMatch> {
  const type = resource.resourceType;
  const keys = nationalIdentifiers(resource);
  const unlinked = (): DirectoryMatch => ({ kind: 'unlinked', identifier: unlinkedIdentifier(resource, keys) });
  if (!namesOneHolder(keys)) return unlinked();
  const search = keys.length ? criteriaOf(keys) : criteria;
  const system: RequestContext = { ...ctx, lookupAccess: sql`r.type = ${type}` };
  let matches = await lookupMatches(svc, system, type, search);
  if (!matches.length && lockWhenAbsent) matches = await findMatches(svc, system, type, search, true);
  if (!matches.length && lockWhenAbsent && keys.length) {
    // Then the holders' locks, which every directory create takes before its duplicate check, and a look again: an
    // entry created directly is seen here, or created after this import commits (and meets its entry: 409). After the
    // criteria's lock, as a submission's transaction takes them (one order: no deadlock between the two).
    for (const key of directoryHolderLocks(type, keys)) await svc.repo.lockKey(key);
    matches = await lookupMatches(svc, system, type, search);
  }
  if (!matches.length) return { kind: 'new', criteria: search, keys };
  if (matches.length > 1) return unlinked();
  const entryKeys = nationalIdentifiers(parseStored(matches[0]));
  // Named by a local identifier only: linked only to an entry that has no national one either (one the import made).
  const same = keys.length ? namesOneHolder([...keys, ...entryKeys]) : entryKeys.length === 0;
  return same ? { kind: 'existing', reference: `${type}/${matches[0].id}` } : unlinked();
}

/**
 * The live entries of a type carrying any spelling of these national identifiers, looked up by the system (at most 2),
 * and whether one such entry is the same holder (`namesOneHolder` with the entry's own national identifiers).
 */
export async function holderEntries(svc: FhirService, ctx: RequestContext, type: string, keys: readonly string[]): Promise<{ id: string; sameHolder: boolean }[]> {
  const matches = await lookupMatches(svc, { ...ctx, lookupAccess: sql`r.type = ${type}` }, type, criteriaOf(keys));
  return matches.map((m) => ({ id: m.id, sameHolder: namesOneHolder([...keys, ...nationalIdentifiers(parseStored(m))]) }));
}

/** The identifier a document names an unlinked person or organisation by: its first national one, else its first. */
export function unlinkedIdentifier(resource: Resource, keys: readonly string[]): Identifier {
  const identifiers = (resource as { identifier?: Identifier[] }).identifier ?? [];
  const named = identifiers.find((i) => keys.includes(`${i.system}|${i.value}`)) ?? identifiers[0] ?? {};
  return { system: named.system, value: named.value };
}

/** The live entries matching criteria, without the conditional-create lock (the usual case: a known author). */
async function lookupMatches(svc: FhirService, ctx: RequestContext, type: string, criteria: string): Promise<StoredResource[]> {
  const request = parseSearch(type, parseQueryString(criteria), true);
  request.count = 2;
  request.total = 'none';
  return (await svc.repo.search({ ...ctx, access: ctx.lookupAccess ?? ctx.access }, request)).matches;
}

/**
 * The entry created earlier in the same import for the holder of these identifiers (the custodian and an author's
 * organisation named with different identifiers of one structure), as `found` (same holder: link to it) or `ambiguous`
 * (it shares a holder but names another of one kind): a second create would meet the directory's 409.
 */
export function earlierCreate(earlier: readonly { keys: string[]; fullUrl: string }[], keys: readonly string[]): { found?: string; ambiguous?: boolean } {
  const holders = new Set(keys.map(nationalHolder));
  const twin = earlier.find((e) => e.keys.some((k) => holders.has(nationalHolder(k))));
  if (!twin) return {};
  return namesOneHolder([...twin.keys, ...keys]) ? { found: twin.fullUrl } : { ambiguous: true };
}

/** A person or organisation named by identifier: the identifier, and the name its entry gave (a client's entry). */
export interface Unlinked {
  identifier: Identifier;
  display?: string;
}

/**
 * Replaces, everywhere in a resource, a reference to one of the given bundle entries (`fullUrl`) by the identifier the
 * entry was named by, keeping the rest (its display; a reference without one gets the entry's name): the document then
 * names that person or organisation by identifier, without a directory entry.
 */
export function unlinkReferences(node: unknown, unlinked: Map<string, Unlinked>): unknown {
  if (Array.isArray(node)) return node.map((n) => unlinkReferences(n, unlinked));
  if (!node || typeof node !== 'object') return node;
  const object = node as Record<string, unknown>;
  const named = typeof object.reference === 'string' ? unlinked.get(object.reference) : undefined;
  if (named) {
    const { reference: _dropped, ...rest } = object;
    return { ...(named.display && rest.display === undefined ? { display: named.display } : {}), ...rest, identifier: named.identifier };
  }
  const out: Record<string, unknown> = {};
  for (const key in object) out[key] = unlinkReferences(object[key], unlinked);
  return out;
}

/**
 * Gives every reference to one of the given bundle entries (`fullUrl`) that has no display the name that entry gives
 * (a client's Practitioner or Organization, linked or created): the document then keeps, beside the directory entry,
 * the name its own sender wrote — which readers show when the entry's name is another sender's declaration
 * (`../access/declared-entries.ts`).
 */
export function nameReferences(node: unknown, names: Map<string, string>): unknown {
  if (Array.isArray(node)) return node.map((n) => nameReferences(n, names));
  if (!node || typeof node !== 'object') return node;
  const object = node as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const key in object) out[key] = nameReferences(object[key], names);
  const name = typeof object.reference === 'string' && object.display === undefined ? names.get(object.reference) : undefined;
  return name ? { ...out, display: name } : out;
}
