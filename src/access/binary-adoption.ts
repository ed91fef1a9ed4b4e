import type { DocumentReference, Resource } from '@medplum/fhirtypes';
import type { WriteEvent } from '../fhir/context';
import { forbidden } from '../fhir/errors';
import type { Db } from '../store/db';
import { sql } from '../store/sql';
import type { DmpActor } from './actor';
import { assertMayChange, isVisible } from './provenance';

const binaryIds = (doc: DocumentReference | undefined): string[] =>
  (doc?.content ?? []).map((c) => /(?:^|\/)Binary\/([A-Za-z0-9\-.]{1,64})$/.exec(c.attachment?.url ?? '')?.[1]).filter((x): x is string => !!x);

/**
 * A DocumentReference adopts the stored Binaries its content points at when no document governs them yet
 * (`Repository.adoptBinaries`): they then follow its masks, labels and authors. Adopting one changes it, so it is for
 * who may change that Binary: otherwise a professional's document pointing at the patient's own file, labelled
 * INVISIBLE_PATIENT, hid that file from the patient (test/api/access/attack-sweep.test.ts). Binaries drawn in this
 * transaction and ones already governed by this document are the writer's own. Throws 403 for a Binary the writer
 * sees but may not change. One he may neither see nor change is answered as absent (DESIGN §5 "hidden is absent"):
 * the same answer as for a Binary that does not exist — the document is written pointing at it, and the Binary is
 * left exactly as it was (`WriteEvent.unadoptedBinaries`); a 403 there told the writer that the id exists.
 */
export async function assertAdoptionsAllowed(tx: Db, actor: DmpActor, event: WriteEvent, newInRequest: ReadonlySet<string>): Promise<void> {
  if (event.resourceType !== 'DocumentReference' || !event.resource) return;
  // Every write of the document adopts again (the store), so a Binary named by its previous version but left alone then
  // is checked again; one this document already governs has a doc_id and is not looked at.
  const ids = binaryIds(event.resource as DocumentReference).filter((id) => !newInRequest.has(`Binary/${id}`));
  if (!ids.length) return;
  const { rows } = await tx.query<{ id: string; text: string | null; compartment: string | null }>(sql`SELECT id, text, compartment FROM resource
    WHERE type = 'Binary' AND id = ANY(${ids}::text[]) AND NOT deleted AND doc_id IS NULL`);
  for (const row of rows) {
    const previous = JSON.parse(row.text ?? '{}') as Resource;
    try {
      await assertMayChange(tx, actor, { interaction: 'update', resourceType: 'Binary', id: row.id, versionId: 0, previous, resource: previous, compartment: row.compartment }, actor.patientIds);
    } catch {
      if (!(await isVisible(tx, actor, row.id, 'Binary'))) {
        (event.unadoptedBinaries ??= new Set()).add(row.id);
        continue;
      }
      throw forbidden(`Binary/${row.id} was written by someone else: a document takes in only Binaries its writer may change (send the content inline, or a Binary of your own)`);
    }
  }
}
