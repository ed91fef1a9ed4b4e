import type { DocumentReference, Resource } from '@medplum/fhirtypes';
import type { WriteEvent } from '../fhir/context';
import { forbidden, unprocessable } from '../fhir/errors';
import { documentBinaryIds } from '../kernel/binary-url';
import type { Statements } from '../store/db';
import { sql } from '../store/sql';
import type { DmpActor } from './actor';
import { assertMayChange, isVisible } from './provenance';

interface NamedBinary {
  id: string;
  text: string | null;
  compartment: string | null;
  doc_id: string | null;
}

/** The answer for a Binary the writer may not know of: word for word the one for a Binary that never existed. */
function absent(id: string, position: number): Error {
  const path = `DocumentReference.content[${position}].attachment.url`;
  const text = `${path} names Binary/${id}, which does not exist on this server (send the content inline, or a Binary of your own first)`;
  return unprocessable([{ severity: 'error', code: 'processing', diagnostics: text, details: { text }, expression: [path] }]);
}

async function mayChange(tx: Statements, actor: DmpActor, row: NamedBinary): Promise<boolean> {
  const previous = JSON.parse(row.text ?? '{}') as Resource;
  try {
    await assertMayChange(tx, actor, { interaction: 'update', resourceType: 'Binary', id: row.id, versionId: 0, previous, resource: previous, compartment: row.compartment }, actor.patientIds);
    return true;
  } catch {
    return false;
  }
}

/**
 * What a DocumentReference's content may point at (`Binary/<id>`), and which Binaries it adopts
 * (`Repository.adoptBinaries`: a Binary no document governs yet then follows its masks, labels and authors).
 *
 * - A Binary drawn in this transaction, or one this document already governs, is the writer's own.
 * - A new name (not on the previous version) must be of a Binary the writer may know of: one he may change (adopted),
 *   one he sees (403 if no document governs it and he may not change it: adopting changes it — otherwise a
 *   professional's document labelled INVISIBLE_PATIENT, pointing at the patient's own file, hid it from her; pointed
 *   at, not adopted, if another document governs it). Anything else — never written, deleted, or hidden from him —
 *   answers the same 422, nothing written (DESIGN §5 "hidden is absent"): a 201 left a document whose content can never
 *   be read (a token writer cannot create a Binary under a chosen id later), a 403 told him the id exists.
 * - A name carried over from the previous version was answered when it was written; it is still adopted only if the
 *   writer may change it (`WriteEvent.unadoptedBinaries` keeps the others exactly as they are).
 */
export async function assertAdoptionsAllowed(tx: Statements, actor: DmpActor, event: WriteEvent, newInRequest: ReadonlySet<string>): Promise<void> {
  if (event.resourceType !== 'DocumentReference' || !event.resource) return;
  const named = documentBinaryIds(event.resource as DocumentReference);
  const ids = [...new Set(named)].filter((id) => !newInRequest.has(`Binary/${id}`));
  if (!ids.length) return;
  const before = new Set(documentBinaryIds(event.previous as DocumentReference | undefined));
  const { rows } = await tx.query<NamedBinary>(sql`SELECT id, text, compartment, doc_id FROM resource
    WHERE type = 'Binary' AND id = ANY(${ids}::text[]) AND NOT deleted`);
  const stored = new Map(rows.map((row) => [row.id, row]));
  for (const id of ids) {
    const row = stored.get(id);
    if (row?.doc_id === event.id) continue;
    if (before.has(id)) {
      if (row && row.doc_id === null && !(await mayChange(tx, actor, row))) (event.unadoptedBinaries ??= new Set()).add(id);
      continue;
    }
    const position = named.indexOf(id);
    if (!row) throw absent(id, position);
    if (row.doc_id === null && (await mayChange(tx, actor, row))) continue;
    if (!(await isVisible(tx, actor, id, 'Binary'))) throw absent(id, position);
    if (row.doc_id === null) {
      throw forbidden(`Binary/${id} was written by someone else: a document takes in only Binaries its writer may change (send the content inline, or a Binary of your own)`);
    }
  }
}
