import type { Bundle, BundleEntry, BundleEntryResponse, OperationOutcome, Resource } from '@medplum/fhirtypes';
import type { FhirResponse } from '../fhir/request';
import { editJsonKeepingNumbers } from '../fhir/json-numbers';

/** Types whose references to a role entry make it their author's role (a document and its submission set). */
const AUTHORED = new Set(['DocumentReference', 'List']);

/** A submission whose feeder's role entries were moved inside the resources naming them. */
export interface ContainedRoles {
  bundle: Bundle;
  requestEntries: number;
  /** The answers of the moved entries, by their position in the request. */
  moved: Map<number, BundleEntryResponse>;
}

/** Every `reference` string in a resource (contained resources included). */
function references(node: unknown, out: string[] = []): string[] {
  if (Array.isArray(node)) for (const item of node) references(item, out);
  else if (node && typeof node === 'object') {
    for (const [key, value] of Object.entries(node)) {
      if (key === 'reference' && typeof value === 'string') out.push(value);
      else references(value, out);
    }
  }
  return out;
}

/** A copy of `node` whose references to `from` name `to`. */
function rewrite<T>(node: T, from: string, to: string): T {
  if (Array.isArray(node)) return node.map((item) => rewrite(item, from, to)) as T;
  if (!node || typeof node !== 'object') return node;
  return Object.fromEntries(Object.entries(node).map(([key, value]) => [key, key === 'reference' && value === from ? to : rewrite(value, from, to)])) as T;
}

/**
 * A feeding system's MHD submission (ITI-65) that sends its document's author as a PractitionerRole entry (a plain or
 * conditional create referenced by `DocumentReference.author` or the submission set's `List`) has that role kept inside
 * the resources naming it (`contained`, referenced as `#<id>`), as the CDA import keeps the authors' roles a document
 * names (PDSm authors are contained PractitionerRoles): the role is the sender's words about his own document. Before,
 * the entry met the directory rule « a feeding system adds no PractitionerRole » (403) and the whole document was
 * refused. The directory rule still holds: nothing is added to the directory (a role there says as what and where a
 * professional works, which the patient's pages show beside his name — and a feeder's token carries no organisation to
 * check it against), and the authorised-author check reads the contained role's practitioner as for an imported
 * document. A role entry naming nothing authored, or named by another resource too, is left as sent (and refused).
 * Each moved entry is answered `200 OK` with an informational outcome saying where it went (MHD: one answer per entry).
 */
export function authorRolesContained(bundle: Bundle, requestEntries: number): ContainedRoles {
  const entries = [...(bundle.entry ?? [])];
  const moved = new Map<number, BundleEntryResponse>();
  const refs = entries.map((e) => references(e.resource));
  const movedEntries = new Set<number>();
  let n = 0;
  for (let i = 0; i < requestEntries; i++) {
    const role = entries[i];
    const url = role?.fullUrl;
    if (!role?.resource || role.resource.resourceType !== 'PractitionerRole' || !url || role.request?.method !== 'POST') continue;
    const naming = entries.map((_, j) => j).filter((j) => j !== i && refs[j].includes(url));
    if (!naming.length || naming.some((j) => !AUTHORED.has(entries[j].resource?.resourceType ?? '') || movedEntries.has(j))) continue;
    const localId = `author-role-${++n}`;
    const { id: _id, meta: _meta, ...content } = role.resource;
    for (const j of naming) {
      const holder = entries[j].resource as Resource & { contained?: Resource[] };
      const updated = rewrite(holder, url, `#${localId}`) as Resource & { contained?: Resource[] };
      updated.contained = [...(holder.contained ?? []), { ...content, id: localId } as Resource];
      entries[j] = { ...entries[j], resource: updated };
    }
    movedEntries.add(i);
    const outcome: OperationOutcome = {
      resourceType: 'OperationOutcome',
      issue: [{ severity: 'information', code: 'informational', diagnostics: `PractitionerRole ${url} kept inside the resources naming it (contained #${localId}): a feeding system's author roles are its document's words, not directory entries` }],
    };
    moved.set(i, { status: '200 OK', outcome });
  }
  if (!moved.size) return { bundle, requestEntries, moved };
  const kept: BundleEntry[] = entries.filter((_, i) => !movedEntries.has(i));
  return { bundle: { ...bundle, entry: kept }, requestEntries: requestEntries - moved.size, moved };
}

/**
 * Puts back, at their request positions, the answers of the client's entries that were not sent to the transaction
 * (moved author roles here; directory entries the directory already holds, `intercept.ts`): MHD answers one entry per
 * request entry. Ascending, so each lands where it was sent.
 */
export function withAnswersAt(response: FhirResponse, answered: Map<number, BundleEntryResponse>): FhirResponse {
  if (!answered.size || !response.json) return response;
  return {
    ...response,
    json: editJsonKeepingNumbers<Bundle>(response.json, (bundle) => {
      const entry = [...(bundle.entry ?? [])];
      for (const index of [...answered.keys()].sort((a, b) => a - b)) entry.splice(index, 0, { response: answered.get(index) });
      return { ...bundle, entry };
    }),
  };
}
