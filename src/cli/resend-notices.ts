/**
 * Queues again the notices kept as undeliverable because no transport was configured for their channel (status
 * `undeliverable-config`), for the channels that now have one, and sends them at once unless `--queue-only`
 * (a running server's dispatcher then sends them at its next poll).
 *   npm run notices:resend -- [--channel email|sms] [--queue-only] [--dry-run]
 * Uses DATABASE_URL (or DATA_DIR: stop the server first, PGlite has one process), SMTP_URL, SMS_WEBHOOK_URL … like
 * the server. A channel still without a transport is left as it is and named in the report.
 * Exit code: 0 done (every notice requeued was delivered, or --queue-only/--dry-run), 1 some notices could not be
 * delivered yet (they stay queued with their retries), 2 bad arguments or failure.
 */
import { runAsCommand, withConfiguredDb } from './command';
import { Dispatcher, type NotifyLogger } from '../notify/dispatcher';
import { loadNotifyConfig } from '../notify/notify-config';
import { claimUndeliverable, countOutbox, requeueUndeliverable } from '../notify/outbox-store';
import { createTransports } from '../notify/transports/create-transports';
import type { Db } from '../store/db';
import { sql } from '../store/sql';
import { SystemRepository } from '../system/system-repository';

type Channel = 'email' | 'sms';

export interface ResendArgs {
  channels: Channel[];
  queueOnly: boolean;
  dryRun: boolean;
}

/** Parses `--channel`, `--queue-only`, `--dry-run`; throws on anything else. */
export function parseArgs(argv: string[]): ResendArgs {
  const args: ResendArgs = { channels: ['email', 'sms'], queueOnly: false, dryRun: false };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--queue-only') args.queueOnly = true;
    else if (argv[i] === '--dry-run') args.dryRun = true;
    else if (argv[i] === '--channel') {
      const c = argv[++i];
      if (c !== 'email' && c !== 'sms') throw new Error(`--channel expects email or sms, not "${c ?? ''}"`);
      args.channels = [c];
    } else throw new Error(`unknown argument "${argv[i]}" (expected --channel email|sms, --queue-only, --dry-run)`);
  }
  return args;
}

async function undeliverable(db: Db, channel: Channel): Promise<number> {
  const { rows } = await db.query<{ n: number }>(sql`SELECT count(*)::int AS n FROM notify_outbox WHERE status = 'undeliverable-config' AND channel = ${channel}`);
  return rows[0].n;
}

/** Notices claimed and sent per statement. */
const CLAIM_BATCH = 20;

/** Counts only: the operator's terminal is a log too, and a notice's text can hold health data. */
const quietLogger: NotifyLogger = { info: () => undefined, warn: () => undefined, error: () => undefined };

/** Requeues (and unless told otherwise sends) the undeliverable notices; returns the report lines and the exit code. */
export async function resendNotices(db: Db, env: NodeJS.ProcessEnv, args: ResendArgs, now = new Date()): Promise<{ lines: string[]; code: number }> {
  const transports = createTransports(loadNotifyConfig(env));
  const lines: string[] = [];
  // Sends through the same dispatcher as the server (same leases and idempotency keys, so a server running beside this
  // command cannot send a notice twice).
  const dispatcher = new Dispatcher({ system: new SystemRepository(db), transports, logger: quietLogger, clock: () => now });
  const totals = { delivered: 0, retried: 0, failed: 0 };
  let sending = false;
  try {
    for (const channel of args.channels) {
      const waiting = await undeliverable(db, channel);
      if (!transports[channel]) {
        lines.push(`${channel}: ${waiting} undeliverable notice(s) left as they are: no ${channel} transport configured (${channel === 'email' ? 'SMTP_URL' : 'SMS_WEBHOOK_URL'})`);
        continue;
      }
      if (args.dryRun) {
        lines.push(`${channel}: ${waiting} undeliverable notice(s) would be queued again`);
        continue;
      }
      if (args.queueOnly) {
        lines.push(`${channel}: ${await requeueUndeliverable(db, channel, now)} notice(s) queued again`);
        continue;
      }
      // Claimed for this command as they are queued again: a server still running without this transport would
      // otherwise take them first and set them aside again (outbox-store.ts `claimUndeliverable`).
      let requeued = 0;
      for (;;) {
        const rows = await claimUndeliverable(db, channel, { now, leaseMs: dispatcher.leaseMs, limit: CLAIM_BATCH });
        if (!rows.length) break;
        requeued += rows.length;
        const report = await dispatcher.deliverClaimed(rows);
        totals.delivered += report.delivered;
        totals.retried += report.retried;
        totals.failed += report.failed;
      }
      lines.push(`${channel}: ${requeued} notice(s) queued again`);
      sending ||= requeued > 0;
    }
    if (!sending) return { lines, code: 0 };
    const pending = await countOutbox(db, ['pending', 'sending']);
    lines.push(`sent: ${totals.delivered} delivered, ${totals.retried} to retry, ${totals.failed} failed for good; ${pending} notice(s) still queued`);
    return { lines, code: totals.retried + totals.failed > 0 ? 1 : 0 };
  } finally {
    await Promise.all(Object.values(transports).map((t) => t?.close?.()));
  }
}

/** The command: configuration from the environment, report on stdout; returns the exit code. */
export async function main(argv: string[], env: NodeJS.ProcessEnv = process.env, out: (text: string) => void = (t) => void process.stdout.write(t)): Promise<number> {
  const args = parseArgs(argv);
  const { lines, code } = await withConfiguredDb(env, (db) => resendNotices(db, env, args));
  out(`${lines.join('\n')}\n`);
  return code;
}

if (require.main === module) runAsCommand('notices:resend', main);
