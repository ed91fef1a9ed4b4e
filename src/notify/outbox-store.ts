import type { Statements } from '../store/db';
import { sql } from '../store/sql';

/** An outbox row as the dispatcher sees it. */
export interface OutboxRow {
  id: number;
  idempotency_key: string;
  kind: string;
  patient_id: string | null;
  channel: string;
  recipient: string | null;
  subject: string;
  body: string;
  status: string;
  attempts: number;
  created_at: Date;
  next_attempt_at: Date;
  delivered_at: Date | null;
  last_error: string | null;
  provider_ref: string | null;
}

/** Marks rows whose deadline passed (e.g. login codes) as expired: sending them late would only confuse. */
export async function expireOverdue(db: Statements, now: Date): Promise<number> {
  const result = await db.query(sql`
    UPDATE notify_outbox SET status = 'expired', locked_until = NULL, last_error = 'expired before delivery'
    WHERE status IN ('pending', 'sending') AND expires_at IS NOT NULL AND expires_at <= ${now.toISOString()}::timestamptz`);
  return result.rowCount;
}

/**
 * Claims due rows for one delivery attempt: pending rows whose time has come, and rows left 'sending' by a
 * dispatcher that died (lease expired). SKIP LOCKED lets several dispatchers share the table.
 */
export async function claimDue(db: Statements, options: { now: Date; leaseMs: number; limit: number }): Promise<OutboxRow[]> {
  const now = options.now.toISOString();
  const until = new Date(options.now.getTime() + options.leaseMs).toISOString();
  const { rows } = await db.query<OutboxRow>(sql`
    UPDATE notify_outbox o SET status = 'sending', attempts = o.attempts + 1, locked_until = ${until}::timestamptz
    WHERE o.id IN (
      SELECT id FROM notify_outbox
      WHERE (status = 'pending' AND next_attempt_at <= ${now}::timestamptz)
         OR (status = 'sending' AND locked_until < ${now}::timestamptz)
      ORDER BY next_attempt_at, id
      LIMIT ${options.limit}
      FOR UPDATE SKIP LOCKED)
    RETURNING o.*`);
  return rows.sort((a, b) => Number(a.id) - Number(b.id));
}

/** Records a successful delivery: the row is final and will never be claimed again. */
export async function markDelivered(db: Statements, id: number, at: Date, providerRef?: string): Promise<void> {
  await db.query(sql`
    UPDATE notify_outbox SET status = 'delivered', delivered_at = ${at.toISOString()}::timestamptz, provider_ref = ${providerRef ?? null},
      locked_until = NULL, last_error = NULL
    WHERE id = ${id} AND status = 'sending'`);
}

/** Schedules another attempt after a failure. */
export async function markRetry(db: Statements, id: number, nextAttemptAt: Date, error: string): Promise<void> {
  await db.query(sql`
    UPDATE notify_outbox SET status = 'pending', next_attempt_at = ${nextAttemptAt.toISOString()}::timestamptz, locked_until = NULL,
      last_error = ${error.slice(0, 1000)}
    WHERE id = ${id} AND status = 'sending'`);
}

/** Records a final non-delivery: failed (gave up) or undeliverable-config (no transport for the channel). */
export async function markFinal(db: Statements, id: number, status: 'failed' | 'undeliverable-config', error: string): Promise<void> {
  await db.query(sql`
    UPDATE notify_outbox SET status = ${status}, locked_until = NULL, last_error = ${error.slice(0, 1000)}
    WHERE id = ${id} AND status = 'sending'`);
}

/** Puts undeliverable-by-configuration rows of a channel back in the queue (after the transport is configured). */
export async function requeueUndeliverable(db: Statements, channel: 'email' | 'sms', now: Date): Promise<number> {
  const result = await db.query(sql`
    UPDATE notify_outbox SET status = 'pending', next_attempt_at = ${now.toISOString()}::timestamptz, last_error = NULL
    WHERE status = 'undeliverable-config' AND channel = ${channel}`);
  return result.rowCount;
}

/**
 * Puts undeliverable-by-configuration rows of a channel back to delivery and claims them for the caller in the same
 * statement (status `sending`, leased as `claimDue` leases). Requeued as `pending` instead, they were claimed by a
 * server still running without that transport, which set them aside again before the command could send them: the
 * command reported « 4 queued again », delivered none and exited 0 (a CI run of notices-resend.test.ts).
 */
export async function claimUndeliverable(db: Statements, channel: 'email' | 'sms', options: { now: Date; leaseMs: number; limit: number }): Promise<OutboxRow[]> {
  const until = new Date(options.now.getTime() + options.leaseMs).toISOString();
  const { rows } = await db.query<OutboxRow>(sql`
    UPDATE notify_outbox o SET status = 'sending', attempts = o.attempts + 1, locked_until = ${until}::timestamptz,
      next_attempt_at = ${options.now.toISOString()}::timestamptz, last_error = NULL
    WHERE o.id IN (
      SELECT id FROM notify_outbox WHERE status = 'undeliverable-config' AND channel = ${channel}
      ORDER BY id LIMIT ${options.limit} FOR UPDATE SKIP LOCKED)
    RETURNING o.*`);
  return rows.sort((a, b) => Number(a.id) - Number(b.id));
}

/** Notices in the given states (metrics, the resend command's report). */
export async function countOutbox(db: Statements, statuses: string[]): Promise<number> {
  const { rows } = await db.query<{ n: number }>(sql`SELECT count(*)::int AS n FROM notify_outbox WHERE status = ANY(${statuses}::text[])`);
  return rows[0].n;
}
