/**
 * Purges the records closed over 10 years ago and queues the purge-approaching notices, as the server's daily job
 * does (PURGE_INTERVAL_MS), and prints what it did.
 *   npm run records:purge -- [--dry-run] [--now <ISO instant>] [--json]
 * Uses DATABASE_URL (PostgreSQL) or DATA_DIR (embedded PGlite: stop the server first, PGlite has one process) like
 * the server. Exit code: 0 done, 2 bad arguments or failure.
 */
import { loadConfig } from '../config';
import { loadNotifyConfig } from '../notify/notify-config';
import { purgeRecords, type PurgeReport } from '../records/purge-job';
import type { Db } from '../store/db';
import { openDb } from '../store/open-db';

export interface PurgeArgs {
  dryRun: boolean;
  now?: Date;
  json: boolean;
}

/** Parses `--dry-run`, `--now <ISO instant>` and `--json`; throws on anything else. */
export function parseArgs(argv: string[]): PurgeArgs {
  const args: PurgeArgs = { dryRun: false, json: false };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--dry-run') args.dryRun = true;
    else if (argv[i] === '--json') args.json = true;
    else if (argv[i] === '--now') {
      const at = argv[++i];
      if (!at || !/^\d{4}-\d{2}-\d{2}T/.test(at) || Number.isNaN(Date.parse(at))) throw new Error(`--now expects an ISO instant such as 2036-01-31T00:00:00Z, not "${at ?? ''}"`);
      args.now = new Date(at);
    } else throw new Error(`unknown argument "${argv[i]}" (expected --dry-run, --now <ISO instant>, --json)`);
  }
  return args;
}

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
  return `${lines.join('\n')}\n`;
}

/** Runs the purge on `db` (or the configured database) and writes the report; returns the exit code. */
export async function main(argv: string[], env: NodeJS.ProcessEnv = process.env, out: (text: string) => void = (t) => void process.stdout.write(t), db?: Db): Promise<number> {
  const args = parseArgs(argv);
  const config = loadConfig(env);
  const database = db ?? (await openDb({ databaseUrl: config.databaseUrl, dataDir: config.dataDir }));
  try {
    const report = await purgeRecords(database, { now: args.now ?? new Date(), dryRun: args.dryRun, recordUrl: loadNotifyConfig(env).recordUrl });
    out(args.json ? `${JSON.stringify(report, null, 2)}\n` : formatReport(report));
    return 0;
  } finally {
    if (!db) await database.close();
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`records:purge: ${(err as Error).message}\n`);
      process.exit(2);
    },
  );
}
