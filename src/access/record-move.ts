import type { WriteEvent } from '../kernel/request-context';
import { unprocessable } from '../fhir/errors';
import type { Statements } from '../store/db';
import { sql } from '../store/sql';

/**
 * 422 when an update or patch would move a row into another record (issue 11). Why: the row's history stays with its
 * id, so the new record's patient (and whoever reads it) would read the versions written in the old one, while the old
 * record's patient loses the entry without a trace in his record. A misfiled entry is deleted and written again in the
 * right record. Called after provenance, so only the row's writer — who knows where it is — reaches this answer.
 */
export async function assertStaysInRecord(tx: Statements, event: WriteEvent): Promise<void> {
  if (!(await movesRecord(tx, event))) return;
  throw unprocessable(`${event.resourceType}/${event.id} belongs to another record: a row cannot move to another patient; delete it and write it again in the right record`);
}

/** Whether an update or patch would put a row that belongs to a record into another record. */
export async function movesRecord(tx: Statements, event: WriteEvent): Promise<boolean> {
  if (event.interaction !== 'update' && event.interaction !== 'patch') return false;
  const { rows } = await tx.query<{ compartment: string | null }>(sql`SELECT compartment FROM resource WHERE type = ${event.resourceType} AND id = ${event.id} AND NOT deleted`);
  const before = rows[0]?.compartment ?? null;
  // A Binary sent before its DocumentReference had no record yet: joining one is not a move.
  return before !== null && before !== (event.compartment ?? null);
}
