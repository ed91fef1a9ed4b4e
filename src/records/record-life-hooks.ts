import type { Patient } from '@medplum/fhirtypes';
import { SYSTEM_STATE } from '../access/access-hooks';
import type { Hooks, RequestContext } from '../fhir/context';
import { unprocessable } from '../fhir/errors';
import { queueNotices } from '../notify/outbox';
import { buildRecordLifeNotice } from '../notify/record-life-messages';
import type { Statements } from '../store/db';
import { sql } from '../store/sql';
import { purgeDate, readClosureExtension, RECORD_CLOSURE_URL } from './record-closure';
import { StateKey } from '../fhir/request-state';
import { parisTime } from '../notify/paris-time';

/** Set in `ctx.state` by `$close` / `$reactivate`: the only writes by an actor that may change a record's state. */
export const RECORD_LIFE_STATE = new StateKey<boolean>('records.lifeOperation');


const isClosed = (patient: Patient | undefined): boolean => patient?.active === false;
const closureText = (patient: Patient | undefined): string => JSON.stringify(patient?.extension?.find((e) => e.url === RECORD_CLOSURE_URL) ?? null);

/** True when a Patient write opens, closes or restates the closure (which only the operations may do). */
function changesRecordLife(event: { interaction: string; resource?: unknown; previous?: unknown }): boolean {
  const next = event.resource as Patient | undefined;
  const previous = event.previous as Patient | undefined;
  if (event.interaction === 'create') return isClosed(next) || closureText(next) !== 'null';
  return isClosed(previous) !== isClosed(next) || closureText(previous) !== closureText(next);
}

/** 422 once the retention of a closed record is over: its data are purged or about to be. */
async function assertStillReactivable(tx: Statements, patientId: string, now: Date): Promise<void> {
  const { rows } = await tx.query<{ closed_at: Date | null }>(sql`SELECT closed_at FROM access_record WHERE patient_id = ${patientId} FOR UPDATE`);
  const closedAt = rows[0]?.closed_at ? new Date(rows[0].closed_at) : undefined;
  if (closedAt && purgeDate(closedAt) <= now) {
    throw unprocessable(
      `Ce dossier a été fermé le ${parisTime(closedAt)} : sa durée de conservation de 10 ans est écoulée depuis le ${parisTime(purgeDate(closedAt))}, ses données sont supprimées ou en cours de suppression et il ne peut plus être réactivé.`,
    );
  }
}

/** Keeps access_record's closure columns in step with the Patient just written (after the access hooks' upsert). */
async function syncClosure(tx: Statements, patientId: string, patient: Patient | undefined, now: Date): Promise<void> {
  const stated = readClosureExtension(patient);
  await tx.query(sql`UPDATE access_record SET
      closed_at = CASE WHEN closed THEN coalesce(${stated?.closedAt?.toISOString() ?? null}::timestamptz, closed_at, ${now.toISOString()}::timestamptz) END,
      closure_reason = CASE WHEN closed THEN coalesce(${stated?.reason ?? null}::text, closure_reason) END,
      purge_notice_at = CASE WHEN closed THEN purge_notice_at END
    WHERE patient_id = ${patientId}`);
}

/**
 * The record-life hooks: an actor changes `Patient.active` or the record-closure extension only through `$close` and
 * `$reactivate` (422 otherwise, so the closure always has its date and reason); reactivation is refused (422) once the
 * 10-year retention is over; `access_record` keeps the closure instant and reason; the patient is told by a notice.
 * The server's own writes (imports, fixtures) may state a closure directly: its extension is taken as it is.
 */
export function createRecordLifeHooks(options: { clock: () => Date; recordUrl: string }): Hooks {
  const system = (ctx: RequestContext) => ctx.state.get(SYSTEM_STATE) === true;
  return {
    async beforeWrite(tx, ctx, event) {
      if (event.resourceType !== 'Patient' || event.interaction === 'delete' || system(ctx)) return;
      if (ctx.state.get(RECORD_LIFE_STATE) !== true && changesRecordLife(event)) {
        throw unprocessable(
          `Un dossier se ferme par POST Patient/${event.id}/$close (avec un motif) et se réactive par POST Patient/${event.id}/$reactivate : ni Patient.active ni l'extension ${RECORD_CLOSURE_URL} ne se modifient directement.`,
        );
      }
      if (isClosed(event.previous as Patient | undefined) && !isClosed(event.resource as Patient | undefined)) {
        await assertStillReactivable(tx, event.id, options.clock());
      }
    },

    async afterWrite(tx, ctx, event) {
      if (event.resourceType !== 'Patient') return;
      const now = options.clock();
      await syncClosure(tx, event.id, event.resource as Patient | undefined, now);
      const wasClosed = isClosed(event.previous as Patient | undefined);
      const closed = isClosed(event.resource as Patient | undefined);
      if (system(ctx) || event.interaction === 'delete' || wasClosed === closed) return;
      const kind = closed ? 'record-closed' : 'record-reactivated';
      const text = buildRecordLifeNotice(kind, { at: now }, options.recordUrl);
      await queueNotices(tx, [{ key: `${kind}:${event.id}:${event.versionId}`, kind, patientId: event.id, text, createdAt: now }]);
    },
  };
}
