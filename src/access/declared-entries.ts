import type { Coding, Resource } from '@medplum/fhirtypes';
import type { Hooks } from '../fhir/context';
import { ACTOR_STATE, SYSTEM_STATE } from './access-hooks';
import { isDirectoryAdmin } from './actor';

/** The tag system of where a directory entry comes from (`meta.tag`). */
export const DIRECTORY_SOURCE_SYSTEM = 'https://dmp-fhir-adapter.org/fhir/CodeSystem/directory-entry-source';
/** The tag of an entry a sender declared (a document's import, a professional's or feeder's create), not verified. */
export const DECLARED_ENTRY: Coding = { system: DIRECTORY_SOURCE_SYSTEM, code: 'declared', display: 'Déclaré par un émetteur, non vérifié par l\'annuaire' };

/** Types whose entries carry a name others read, and which a sender may create: Practitioner and Organization. */
const NAMED_ENTRIES = new Set(['Practitioner', 'Organization']);

/** True when a directory entry carries the declared tag (its name is what a sender said, nobody checked it). */
export function isDeclaredEntry(resource: Resource | undefined): boolean {
  return (resource?.meta?.tag ?? []).some((t) => t.system === DIRECTORY_SOURCE_SYSTEM && t.code === DECLARED_ENTRY.code);
}

/**
 * Marks every Practitioner or Organization a token creates that is not a directory administrator's as **declared**
 * (`meta.tag` DECLARED_ENTRY, set by the server whatever the client sent under that system): the entry a document's
 * import creates for a new person or structure (ITI-65, ITI-105, `$import`, a client's own entry) and a professional's
 * or feeder's direct create. Its name is the first sender's words: a feeder filing the first document of FINESS X chose
 * the name every later reader of X's documents saw. Who reads names (the portal, `../portal/directory-names.ts`) shows a
 * declared entry under the name the document in hand gives it, else under its name marked as declared. Entries an
 * administrator writes carry what he sends (he removes the tag when he has checked the entry).
 */
export function declaredEntriesHook(): Hooks {
  return {
    async interceptRequest(_svc, ctx, req, next) {
      const body = req.body as Resource | undefined;
      // A create by POST, or by PUT (update as create, conditional or not, a transaction's entry too): only an
      // administrator updates an entry, so a non-administrator's PUT that is not a create is refused anyway.
      const creates = (req.method === 'POST' && req.segments.length === 1) || (req.method === 'PUT' && req.segments.length <= 2);
      if (!creates || !NAMED_ENTRIES.has(req.segments[0])) return next(req);
      if (!body || Buffer.isBuffer(body) || Array.isArray(body) || body.resourceType !== req.segments[0]) return next(req);
      const actor = ctx.state.get(ACTOR_STATE);
      if (!actor || ctx.state.get(SYSTEM_STATE) === true || isDirectoryAdmin(actor)) return next(req);
      const tag = [...(body.meta?.tag ?? []).filter((t) => t.system !== DIRECTORY_SOURCE_SYSTEM), DECLARED_ENTRY];
      return next({ ...req, body: { ...body, meta: { ...body.meta, tag } } as Resource });
    },
  };
}
