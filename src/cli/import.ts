/**
 * Imports CDA documents into a running server, or into an embedded one:
 *   npm run import -- <files or folders> [--url http://host/fhir] [--token <bearer>] [--concurrency 4]
 * Without --url, a server is started in-process on the configured database (DATABASE_URL, else PGlite in
 * DATA_DIR) and, when no --token is given, a development feeder token is minted for it (DEV_AUTH=1 only: the
 * server trusts it in development mode alone). Prints a progress bar on stderr, then a summary (imported / duplicate / rejected with reasons); exits 1 when any file was rejected.
 */
import path from 'node:path';
import { loadAuthConfig, trustsDevIssuer } from '../auth/auth-config';
import { loadDevKey } from '../auth/dev-key';
import { mintDevToken } from '../auth/mint-token';
import { loadConfig } from '../config';
import { collectFiles, importFiles, type BatchSummary } from '../documents/batch-import';
import { startServer } from '../server';

const USAGE = 'usage: npm run import -- <files or folders> [--url http://host/fhir] [--token <bearer>] [--concurrency n]';

export interface ImportArgs {
  paths: string[];
  url?: string;
  token?: string;
  concurrency: number;
}

/** Parses the command line; throws with the usage on anything unexpected. */
export function parseImportArgs(argv: string[]): ImportArgs {
  const args: ImportArgs = { paths: [], concurrency: 4 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--url' || a === '--token' || a === '--concurrency') {
      const value = argv[++i];
      if (value === undefined) throw new Error(`${a} needs a value\n${USAGE}`);
      if (a === '--url') args.url = value.replace(/\/+$/, '');
      else if (a === '--token') args.token = value;
      else if (/^\d+$/.test(value) && Number(value) > 0) args.concurrency = Number(value);
      else throw new Error(`--concurrency takes a positive integer\n${USAGE}`);
    } else if (a.startsWith('--')) throw new Error(`unknown option ${a}\n${USAGE}`);
    else args.paths.push(a);
  }
  if (!args.paths.length) throw new Error(USAGE);
  return args;
}

/** A one-line progress bar, redrawn in place on a terminal. */
export function progressBar(done: number, total: number, width = 30): string {
  const filled = total ? Math.round((done / total) * width) : width;
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total}`;
}

/** The human summary printed at the end. */
export function formatSummary(summary: BatchSummary): string {
  const lines = [
    `imported: ${summary.imported}  duplicate: ${summary.duplicate}  rejected: ${summary.rejected}`,
    `${(summary.outcomes.length / Math.max(summary.seconds, 1e-9)).toFixed(1)} documents/s, ${(summary.bytes / 1024 / 1024 / Math.max(summary.seconds, 1e-9)).toFixed(2)} MB/s`,
  ];
  for (const o of summary.outcomes.filter((x) => x.result === 'rejected')) lines.push(`  rejected ${o.file}: ${o.reason}`);
  return lines.join('\n');
}

async function main(): Promise<void> {
  const args = parseImportArgs(process.argv.slice(2));
  const files = collectFiles(args.paths);
  let fhirUrl = args.url;
  let token = args.token;
  let close: (() => Promise<void>) | undefined;
  if (!fhirUrl) {
    const config = loadConfig(process.env, { port: 0, host: '127.0.0.1', logLevel: 'warn' });
    const server = await startServer(config);
    fhirUrl = server.fhirUrl;
    close = server.close;
    if (!token) {
      const auth = loadAuthConfig(process.env, path.resolve(config.dataDir));
      if (!trustsDevIssuer(auth)) {
        await close();
        throw new Error('No --token given: the embedded server trusts development tokens only with DEV_AUTH=1 (or pass --url and --token)');
      }
      token = await mintDevToken(auth, await loadDevKey(auth), { kind: 'system', id: 'cda-import-cli', category: 'feeder' });
    }
  }
  const tty = process.stderr.isTTY;
  const summary = await importFiles(files, {
    fhirUrl,
    token,
    concurrency: args.concurrency,
    onOutcome: (_o, done) => {
      if (tty) process.stderr.write(`\r${progressBar(done, files.length)}`);
      else if (done === files.length || done % 50 === 0) process.stderr.write(`${progressBar(done, files.length)}\n`);
    },
  });
  if (tty) process.stderr.write('\n');
  process.stdout.write(`${formatSummary(summary)}\n`);
  await close?.();
  process.exitCode = summary.rejected ? 1 : 0;
}

if (require.main === module) {
  main().catch((err: Error) => {
    process.stderr.write(`${err.message}\n`);
    process.exitCode = 2;
  });
}
