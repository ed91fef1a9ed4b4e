import type { SystemRepository } from '../system/system-repository';
import { claimDue, expireOverdue, markDelivered, markFinal, markRetry, type OutboxRow } from './outbox-store';
import { PermanentDeliveryError, type Transport } from './transports/transport';

/** The logging the dispatcher needs (a winston logger fits). */
export interface NotifyLogger {
  info(message: string, meta?: Record<string, unknown>): void;
  warn(message: string, meta?: Record<string, unknown>): void;
  error(message: string, meta?: Record<string, unknown>): void;
}

export interface DispatcherOptions {
  /** The outbox is system work (no request, no actor): the named unscoped repository, never a raw connection. */
  system: SystemRepository;
  transports: Partial<Record<'email' | 'sms', Transport>>;
  logger: NotifyLogger;
  clock?: () => Date;
  maxAttempts?: number;
  /** First retry delay; doubled at each further attempt, up to maxDelayMs. */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** How long a claimed row stays reserved; a dispatcher killed mid-send releases its rows after this. */
  leaseMs?: number;
  batchSize?: number;
  pollMs?: number;
}

export interface DispatchReport {
  delivered: number;
  retried: number;
  failed: number;
  undeliverable: number;
  expired: number;
}

/** A provider's error text without the e-mail addresses or phone numbers it may quote (the recipient's). */
export function scrubContacts(text: string): string {
  return text.replace(/[^\s<>"'@]+@[^\s<>"'@]+/g, '[address]').replace(/\+?\d[\d .-]{7,}\d/g, '[number]').slice(0, 300);
}

/** Delay before attempt `attempts + 1`: base × 2^(attempts − 1), capped. */
export function backoffMs(attempts: number, baseMs: number, maxMs: number): number {
  return Math.min(maxMs, baseMs * 2 ** Math.max(0, attempts - 1));
}

/**
 * Delivers the outbox. All state is in the table, so a new dispatcher on the same database carries on
 * where a stopped or killed one left off: delivered rows are final and never claimed again; a row that
 * was being sent when its dispatcher died is retried once its lease expires (the provider gets the same
 * idempotency key and can drop the duplicate).
 */
export class Dispatcher {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<DispatchReport> | undefined;
  private stopped = true;
  private readonly clock: () => Date;
  private readonly o: Required<Omit<DispatcherOptions, 'clock'>>;

  constructor(options: DispatcherOptions) {
    this.clock = options.clock ?? (() => new Date());
    this.o = { maxAttempts: 10, baseDelayMs: 2000, maxDelayMs: 3_600_000, leaseMs: 60_000, batchSize: 20, pollMs: 1000, ...options };
  }

  /** Polls the outbox until stop(). */
  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.schedule(0);
  }

  /** Stops polling and waits for the attempt in progress. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.running?.catch(() => undefined);
  }

  /** Runs one pass now (also used by start's loop); concurrent calls share the pass in progress. */
  runOnce(): Promise<DispatchReport> {
    if (!this.running) this.running = this.pass().finally(() => (this.running = undefined));
    return this.running;
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.runOnce().then(
        (report) => this.schedule(report.delivered + report.retried + report.failed + report.undeliverable >= this.o.batchSize ? 0 : this.o.pollMs),
        (err: unknown) => {
          this.o.logger.error('notification dispatch pass failed', { error: (err as Error).message });
          this.schedule(this.o.pollMs);
        },
      );
    }, delayMs);
  }

  /**
   * Delivers rows the caller claimed itself (leased `sending` rows, e.g. `claimUndeliverable`), exactly as a pass
   * delivers the rows it claims.
   */
  async deliverClaimed(rows: OutboxRow[]): Promise<DispatchReport> {
    const report: DispatchReport = { delivered: 0, retried: 0, failed: 0, undeliverable: 0, expired: 0 };
    await Promise.all(rows.map((row) => this.deliver(row, report)));
    return report;
  }

  /** The lease a claim takes (the resend command claims with the dispatcher's own). */
  get leaseMs(): number {
    return this.o.leaseMs;
  }

  private async pass(): Promise<DispatchReport> {
    const report: DispatchReport = { delivered: 0, retried: 0, failed: 0, undeliverable: 0, expired: 0 };
    report.expired = await expireOverdue(this.o.system, this.clock());
    const rows = await claimDue(this.o.system, { now: this.clock(), leaseMs: this.o.leaseMs, limit: this.o.batchSize });
    await Promise.all(rows.map((row) => this.deliver(row, report)));
    return report;
  }

  private async deliver(row: OutboxRow, report: DispatchReport): Promise<void> {
    const id = Number(row.id);
    const transport = this.o.transports[row.channel as 'email' | 'sms'];
    const meta = { outboxId: id, kind: row.kind, channel: row.channel, patientId: row.patient_id, attempt: row.attempts };
    if (!transport) {
      // Kept in the outbox, never dropped (`npm run notices:resend` queues it again once a transport is configured).
      // Ids and kind only: the text can hold health data (a break-glass reason), the recipient is personal data.
      this.o.logger.warn('notification not sent: no transport configured for its channel', meta);
      await markFinal(this.o.system, id, 'undeliverable-config', `no ${row.channel} transport configured`);
      report.undeliverable++;
      return;
    }
    try {
      const { providerRef } = await transport.send({ key: row.idempotency_key, recipient: row.recipient ?? '', subject: row.subject, body: row.body });
      await markDelivered(this.o.system, id, this.clock(), providerRef);
      this.o.logger.info('notification delivered', meta);
      report.delivered++;
    } catch (err) {
      const message = (err as Error).message;
      if (err instanceof PermanentDeliveryError || row.attempts >= this.o.maxAttempts) {
        await markFinal(this.o.system, id, 'failed', message);
        this.o.logger.error('notification failed for good', { ...meta, error: scrubContacts(message) });
        report.failed++;
        return;
      }
      const next = new Date(this.clock().getTime() + backoffMs(row.attempts, this.o.baseDelayMs, this.o.maxDelayMs));
      await markRetry(this.o.system, id, next, message);
      this.o.logger.warn('notification delivery failed; will retry', { ...meta, error: scrubContacts(message), nextAttemptAt: next.toISOString() });
      report.retried++;
    }
  }
}
