/**
 * What the record-life commands (`records:purge`, `records:majority`) share: `--dry-run`, `--now <ISO instant>` and
 * `--json`; the configured database (DATABASE_URL, or DATA_DIR's embedded PGlite: stop the server first) opened for
 * the run and closed after; the report as JSON or as lines; exit code 0 done, 2 bad arguments or failure.
 */
import { loadConfig } from '../config';
import type { Db } from '../store/db';
import { openDb } from '../store/open-db';

export interface RecordJobArgs {
  dryRun: boolean;
  now?: Date;
  json: boolean;
}

/** Parses `--dry-run`, `--now <ISO instant>` and `--json`; throws on anything else. */
export function parseArgs(argv: string[]): RecordJobArgs {
  const args: RecordJobArgs = { dryRun: false, json: false };
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

/** Runs one record job on `db` (or the configured database) and writes its report; returns the exit code. */
export async function runRecordJob<R>(
  argv: string[],
  options: { env: NodeJS.ProcessEnv; out: (text: string) => void; db?: Db },
  job: (db: Db, args: RecordJobArgs) => Promise<R>,
  format: (report: R) => string,
): Promise<number> {
  const args = parseArgs(argv);
  const config = loadConfig(options.env);
  const database = options.db ?? (await openDb({ databaseUrl: config.databaseUrl, dataDir: config.dataDir }));
  try {
    const report = await job(database, args);
    options.out(args.json ? `${JSON.stringify(report, null, 2)}\n` : format(report));
    return 0;
  } finally {
    if (!options.db) await database.close();
  }
}
