/**
 * Purges the records closed over 10 years ago and queues the purge-approaching notices, as the server's daily job
 * does (PURGE_INTERVAL_MS), and prints what it did.
 *   npm run records:purge -- [--dry-run] [--now <ISO instant>] [--json]
 * Uses DATABASE_URL (PostgreSQL) or DATA_DIR (embedded PGlite: stop the server first, PGlite has one process) like
 * the server. Exit code: 0 done, 2 bad arguments or failure.
 */
import { SystemRepository } from '../system/system-repository';
import { loadNotifyConfig } from '../notify/notify-config';
import { purgeRecords, type PurgeReport } from '../records/purge-job';
import type { Db } from '../store/db';
import { runAsCommand } from './command';
import { runRecordJob } from './record-job-cli';

/** The report in lines an operator reads: one per record purged, then the totals. */
export function formatReport(report: PurgeReport): string {
  const lines = [`${report.dryRun ? 'DRY RUN (nothing changed): ' : ''}records closed on or before ${report.cutoff} (now ${report.now})`];
  for (const r of report.records) {
    const counts = Object.entries(r.counts).filter(([, n]) => n > 0).map(([t, n]) => `${t}=${n}`).join(' ');
    lines.push(`  Patient/${r.patientId} closed ${r.closedAt}: ${counts}`);
  }
  for (const id of report.skipped) lines.push(`  Patient/${id}: skipped (purged by another run, or reactivated)`);
  lines.push(`${report.records.length} record(s) ${report.dryRun ? 'would be ' : ''}purged; totals: ${JSON.stringify(report.totals)}`);
  lines.push(`purge-approaching notices ${report.dryRun ? 'due' : 'queued'}: ${report.noticed.length ? report.noticed.join(', ') : 'none'}`);
  lines.push(`attempts at opening a child's record over a year old ${report.dryRun ? 'to remove' : 'removed'}: ${report.openingAttempts}`);
  lines.push(`sign-in and activation failure counts past their window ${report.dryRun ? 'to remove' : 'removed'}: ${report.loginAttempts}`);
  lines.push(`per-address sign-in counts whose window ended ${report.dryRun ? 'to remove' : 'removed'}: ${report.sourceHits}`);
  return `${lines.join('\n')}\n`;
}

/** Runs the purge on `db` (or the configured database) and writes the report; returns the exit code. */
export function main(argv: string[], env: NodeJS.ProcessEnv = process.env, out: (text: string) => void = (t) => void process.stdout.write(t), db?: Db): Promise<number> {
  return runRecordJob(argv, { env, out, db }, (database, args) => purgeRecords(new SystemRepository(database), { now: args.now ?? new Date(), dryRun: args.dryRun, recordUrl: loadNotifyConfig(env).recordUrl }), formatReport);
}

if (require.main === module) runAsCommand('records:purge', main);
