import type { Consent } from '@medplum/fhirtypes';
import type { Logger } from '../logger';
import { buildNotice } from '../notify/messages';
import { queueNotices, type Notice } from '../notify/outbox';
import type { Transactions } from '../store/db';
import { sql } from '../store/sql';
import { provisionsReadOtherwise, toldWithoutEffect } from './consent-effect';

/** `consent_review_pending.reason` of the records migration 225 listed: provisions of a shape writes now refuse. */
const READ_OTHERWISE = 'read-otherwise';
/**
 * `consent_review_pending.reason` of the records migration 172 listed: a Consent in force of theirs lost a grant of a
 * refused shape (an opening, an authorisation). Told under a key of their own, even if told before (225's notice said such
 * an opening applied).
 */
const GRANTS_REMOVED = 'grants-removed';

/** Records looked at per transaction: one statement each for the list, the Consents and the records' state. */
const BATCH = 200;

export interface ConsentsWithoutEffectReport {
  /** Records looked at (rows drained from `consent_review_pending`). */
  looked: number;
  /** Records whose patient was told (a notice queued, or kept as 'no-recipient'). */
  told: string[];
}

/**
 * Tells each patient, once, that some of her access choices stored before attack sweep 8 have no effect
 * (`toldWithoutEffect`: a whole choice, or an emergency refusal naming someone that migration 220 lifted), with a link to
 * the page that lists them. Drains `consent_review_pending` (migration 219: the records holding a Consent when the
 * upgrade ran; migration 223: those holding an emergency refusal, for a database where 219's list was drained before
 * 220's refusals were counted; migration 225: those holding a provision of a shape writes now refuse, `provisionsReadOtherwise`,
 * told under a key of their own since 219's notice may have been sent before they counted; migration 172: those a
 * Consent of which lost a grant of a refused shape, under a key of their own too): per batch, in one transaction, it locks its rows (another server
 * starting at the same moment skips them), queues the notices through the outbox like every patient notice (contacts,
 * preferences and guardians resolved then) and deletes the rows. A re-run or a restart finds nothing left, so nobody is
 * told twice; a run that fails leaves the rest for the next start. A closed record is not told (no choice has effect
 * while it is closed; its page lists them if it is reactivated).
 */
export async function noticeConsentsWithoutEffect(system: Transactions, options: { recordUrl: string; now: () => Date; logger?: Logger }): Promise<ConsentsWithoutEffectReport> {
  const report: ConsentsWithoutEffectReport = { looked: 0, told: [] };
  for (;;) {
    const batch = await system.transaction(async (tx) => {
      const { rows } = await tx.query<{ patient_id: string; reason: string }>(sql`SELECT patient_id, reason FROM consent_review_pending ORDER BY patient_id LIMIT ${BATCH} FOR UPDATE SKIP LOCKED`);
      const ids = rows.map((r) => r.patient_id);
      // Listed by migration 225 only (after 219/223's list was drained, so maybe told already of her other choices): told
      // of the provisions read otherwise than written, under a key of their own, or of nothing.
      const readOtherwiseOnly = new Set(rows.filter((r) => r.reason === READ_OTHERWISE).map((r) => r.patient_id));
      const grantsRemoved = new Set(rows.filter((r) => r.reason === GRANTS_REMOVED).map((r) => r.patient_id));
      if (ids.length === 0) return undefined;
      const consents = await tx.query<{ compartment: string; text: string }>(sql`SELECT r.compartment, r.text FROM resource r
        WHERE r.type = 'Consent' AND NOT r.deleted AND r.compartment = ANY(${ids}::text[]) AND r.text IS NOT NULL`);
      const live = await tx.query<{ patient_id: string }>(sql`SELECT a.patient_id FROM access_record a WHERE a.patient_id = ANY(${ids}::text[]) AND NOT a.closed`);
      const notClosed = new Set(live.rows.map((r) => r.patient_id));
      const concerned = new Set(consents.rows.filter((r) => {
        if (!notClosed.has(r.compartment)) return false;
        const consent = JSON.parse(r.text) as Consent;
        return readOtherwiseOnly.has(r.compartment) ? provisionsReadOtherwise(consent).length > 0 : toldWithoutEffect(consent);
      }).map((r) => r.compartment));
      const at = options.now();
      const text = buildNotice('consents-without-effect', { at }, options.recordUrl);
      const keyOf = (patientId: string) => (readOtherwiseOnly.has(patientId) ? `consents-without-effect:${READ_OTHERWISE}:${patientId}`
        : grantsRemoved.has(patientId) ? `consents-without-effect:${GRANTS_REMOVED}:${patientId}` : `consents-without-effect:${patientId}`);
      const notices: Notice[] = [...concerned].sort().map((patientId) => ({ key: keyOf(patientId), kind: 'consents-without-effect', patientId, text, createdAt: at }));
      await queueNotices(tx, notices);
      await tx.query(sql`DELETE FROM consent_review_pending WHERE patient_id = ANY(${ids}::text[])`);
      return { looked: ids.length, told: notices.map((n) => n.patientId) };
    });
    if (!batch) break;
    report.looked += batch.looked;
    report.told.push(...batch.told);
  }
  if (report.looked) options.logger?.info('consents without effect: patients told', { looked: report.looked, told: report.told.length });
  return report;
}
