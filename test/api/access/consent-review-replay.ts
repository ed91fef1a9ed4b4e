import type { Db } from '../../../src/store/db';
import { sql } from '../../../src/store/sql';

// Shared by the tests that replay an upgrade of the « choix sans effet » notice (migrations 219, 223, 225): what the
// start-up task queued, and waiting for it to drain its list.

/** A queued `consents-without-effect` notice, as the outbox holds it. */
export interface ReviewNotice { patient_id: string; channel: string; recipient: string | null; subject: string; body: string; status: string; idempotency_key: string }

/** The `consents-without-effect` notices in the outbox, by patient then channel. */
export async function reviewNotices(db: Db): Promise<ReviewNotice[]> {
  return (await db.query<ReviewNotice>(sql`SELECT patient_id, channel, recipient, subject, body, status, idempotency_key FROM notify_outbox
    WHERE kind = 'consents-without-effect' ORDER BY patient_id, channel`)).rows;
}

/** Waits (up to 10 s) until the start-up task has emptied `consent_review_pending`. */
export async function reviewsDrained(db: Db): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const { rows } = await db.query<{ n: number }>(sql`SELECT count(*)::int AS n FROM consent_review_pending`);
    if (rows[0].n === 0) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('consent_review_pending was not drained');
}
