import type { Identifier, PractitionerRole, Resource } from '@medplum/fhirtypes';
import type { WriteEvent } from '../fhir/context';
import { conflict, forbidden } from '../fhir/errors';
import type { Statements } from '../store/db';
import { sql } from '../store/sql';
import { isDirectoryAdmin, PROFESSIONAL_ID_SYSTEMS, type DmpActor } from './actor';
import { unprocessable } from '../fhir/errors';
import { directoryHolderLocks, nationalHolder, nationalSpellings, namesOneHolder, ORGANISATION_ID_SYSTEMS } from './national-identifiers';
import { advisoryLock } from '../store/locks';

/** The answer to every directory write no rule allows. */
export const DIRECTORY_MAINTAINERS = 'Directory entries are maintained by the document import and directory administrators';

interface NationalIds {
  /** Where the identifiers sit: `identifier` of the entry itself, or the PractitionerRole's `practitioner.identifier`. */
  path: 'identifier' | 'practitioner';
  systems: readonly string[];
}

/** Types a feeder or practitioner may create, and the national identifiers such an entry must carry. */
const CREATABLE: Readonly<Record<string, NationalIds>> = {
  Practitioner: { path: 'identifier', systems: PROFESSIONAL_ID_SYSTEMS },
  PractitionerRole: { path: 'practitioner', systems: PROFESSIONAL_ID_SYSTEMS },
  Organization: { path: 'identifier', systems: ORGANISATION_ID_SYSTEMS },
};

/** The national identifiers (`system|value`) a directory entry carries. */
export function nationalIdentifiers(resource: Resource | undefined): string[] {
  const rule = resource && CREATABLE[resource.resourceType];
  if (!rule) return [];
  const r = resource as { identifier?: Identifier[]; practitioner?: { identifier?: Identifier } };
  const ids = rule.path === 'identifier' ? (r.identifier ?? []) : r.practitioner?.identifier ? [r.practitioner.identifier] : [];
  return ids.filter((i) => i.system && i.value && rule.systems.includes(i.system)).map((i) => `${i.system}|${i.value}`);
}

/** Every spelling of the identifiers' holders (persons, structures: `nationalSpellings`), to find who already carries one. */
export function spellingsOf(keys: readonly string[]): string[] {
  return [...new Set([...keys, ...keys.flatMap(nationalSpellings)])];
}

/** The live entry of a type that already carries one of these identifiers (duplicates would split who is who). */
async function findCarrier(tx: Statements, type: string, id: string, keys: string[]): Promise<string | undefined> {
  // Identifier index rows (live rows), and the JSONB content the store keeps for Practitioners (write-sql.ts).
  const codes = keys.map((k) => k.slice(k.indexOf('|') + 1));
  const probes = keys.map((k) => JSON.stringify({ identifier: [{ system: k.slice(0, k.indexOf('|')), value: k.slice(k.indexOf('|') + 1) }] }));
  const { rows } = await tx.query<{ id: string }>(sql`SELECT r.id FROM idx_token t JOIN resource r ON r.rid = t.rid
      WHERE t.type = ${type} AND t.param = 'identifier' AND t.code = ANY(${codes}::text[]) AND (t.system || '|' || t.code) = ANY(${keys}::text[])
        AND r.id <> ${id} AND NOT r.deleted
    UNION ALL
    SELECT r.id FROM resource r WHERE r.type = ${type} AND r.id <> ${id} AND NOT r.deleted AND r.content @> ANY(${probes}::jsonb[])
    LIMIT 1`);
  return rows[0]?.id;
}

/** True when the id was used before (a deleted entry): re-creating it would inherit the references to it. */
async function wasUsed(tx: Statements, type: string, id: string): Promise<boolean> {
  const { rows } = await tx.query(sql`SELECT 1 FROM resource r WHERE r.type = ${type} AND r.id = ${id}`);
  return rows.length > 0;
}

/**
 * The locks of the holders a Practitioner or Organization written names (`directoryHolderLocks`), an administrator's
 * write included, taken before any duplicate check and held to commit: a create committed while an import looked the
 * same person or structure up duplicated it (two entries), or became the document's author or custodian while naming
 * another structure too (`test/api/access/directory-create-race.test.ts`).
 */
async function lockHolders(tx: Statements, event: WriteEvent): Promise<void> {
  if (event.interaction === 'delete' || (event.resourceType !== 'Practitioner' && event.resourceType !== 'Organization')) return;
  for (const key of directoryHolderLocks(event.resourceType, nationalIdentifiers(event.resource))) await advisoryLock(tx, key);
}

/** A professional's PractitionerRole names him: its national identifier is his token's, its entry one of his own. */
function assertOwnRole(actor: DmpActor, keys: string[], reference: string | undefined): void {
  const entry = reference?.replace(/^.*\b(Practitioner\/[^/]+)$/, '$1');
  if (keys.every((k) => actor.keys.includes(k)) && (entry === undefined || actor.keys.includes(entry))) return;
  throw forbidden(`${DIRECTORY_MAINTAINERS}: a professional adds his own roles only (PractitionerRole.practitioner names him)`);
}

/**
 * Directory writes (issue 11, attack 3). Consents, `generalPractitioner` and document authors name professionals by
 * directory reference, so whoever edits an entry could take that person's place. Directory administrators (and the
 * server's own writes, which never reach here) change entries; a feeder or practitioner only creates a Practitioner,
 * PractitionerRole or Organization carrying a national identifier no live entry of that type carries yet (409
 * naming it; the import's conditional creates find it instead); patients never. A professional may add a colleague's
 * entry (a document he submits names its other authors): an entry gives access only to the person all of whose national
 * identifiers the token carries (`resolve-actor.ts`), so creating one hands nobody else's access to its creator.
 */
export async function assertDirectoryWrite(tx: Statements, actor: DmpActor, event: WriteEvent): Promise<void> {
  await lockHolders(tx, event);
  if (isDirectoryAdmin(actor)) return;
  const rule = CREATABLE[event.resourceType];
  if (event.interaction !== 'create' || !rule || (actor.kind !== 'practitioner' && actor.kind !== 'system')) throw forbidden(DIRECTORY_MAINTAINERS);
  const keys = nationalIdentifiers(event.resource);
  if (!keys.length) {
    throw forbidden(`${DIRECTORY_MAINTAINERS}: a ${event.resourceType} may be added only with a national identifier (${rule.systems.join(', ')})`);
  }
  if (await wasUsed(tx, event.resourceType, event.id)) {
    throw forbidden(`${DIRECTORY_MAINTAINERS}: ${event.resourceType}/${event.id} existed before and only they may create it again`);
  }
  // One entry, one person: an entry carrying the creator's identifier and a colleague's (in another spelling) would
  // duplicate the colleague under a name the creator chose, which is what the patient's pages then show.
  const holders = [...new Set(keys.map(nationalHolder))];
  if (event.resourceType === 'Practitioner' && holders.length > 1) {
    throw unprocessable(`A ${event.resourceType} names one person, but its national identifiers name ${holders.length} (${keys.join(', ')})`);
  }
  // One entry, one structure: it carries several national identifiers of different registries (IdNat_Struct, FINESS,
  // SIRET), never two of one (two FINESS are two structures). Such an entry also carrying another structure's FINESS in
  // another spelling would be the entry the import links that structure's documents to (`../documents/directory-match.ts`).
  if (event.resourceType === 'Organization' && !namesOneHolder(keys)) {
    throw unprocessable(`An Organization names one structure, but its national identifiers name two of one registry (${keys.join(', ')})`);
  }
  // A person may hold several roles: only Practitioner and Organization entries are unique per identifier. A professional
  // adds his own roles only: a role says as what and where someone works, which the patient's pages show beside his
  // name, and any practitioner attached « Médecin du travail, Centre … » to the treating physician's entry (sweep 6b).
  if (event.resourceType === 'PractitionerRole') {
    // A feeder's documents keep their authors' roles inside them (contained, as the import writes them): a free-standing
    // role from a feeder is no import's, and any feeder attached « Médecin du travail » to the treating physician (sweep 7).
    if (actor.kind === 'system') throw forbidden(`${DIRECTORY_MAINTAINERS}: a feeding system adds no PractitionerRole (its documents carry their authors' roles)`);
    assertOwnRole(actor, keys, (event.resource as PractitionerRole).practitioner?.reference);
    return;
  }
  const existing = await findCarrier(tx, event.resourceType, event.id, spellingsOf(keys));
  if (existing) throw conflict(`${event.resourceType}/${existing} already carries this national identifier: use it (or ask a directory administrator to correct it)`);
}
