/**
 * Imports CDA documents into a running server, or into an embedded one:
 *   DMP_IMPORT_TOKEN=… npm run import -- <files or folders> [--url http://host/fhir] [--token-file <path>] [--concurrency 4]
 * The bearer token comes from DMP_IMPORT_TOKEN or from the file named by --token-file, never from the command line:
 * npm prints the command it runs, and a command line is visible to every user of the machine (ps).
 * Without --url, a server is started in-process on the configured database (DATABASE_URL, else PGlite in DATA_DIR)
 * and, when no token is given, a development feeder token is minted for it (DEV_AUTH=1 only).
 * Progress on stderr (a bar redrawn in place on a terminal, a line every 5% otherwise), then a report on stdout:
 * imported / already present / rejected with each reason.
 * Exit codes: 0 every document imported or already present; 1 some documents rejected (the others imported);
 * 2 bad arguments; 3 the server could not be reached, refused the token (401) or failed (5xx) — the import stopped.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { loadAuthConfig, trustsDevIssuer } from '../auth/auth-config';
import { loadDevKey } from '../auth/dev-key';
import { mintDevToken } from '../auth/mint-token';
import { loadConfig } from '../config';
import { collectFiles, importFiles, type BatchSummary, type FileOutcome } from '../documents/batch-import';
import { startServer } from '../server';
import { DataDirInUseError } from '../store/pglite-dir-lock';

const USAGE = 'usage: DMP_IMPORT_TOKEN=<bearer> npm run import -- <files or folders> [--url http://host/fhir] [--token-file <path>] [--concurrency n]';

/** The exit codes, documented in the README. */
export const EXIT = { ok: 0, rejected: 1, usage: 2, unreachable: 3 } as const;

/** A command-line mistake: exit code 2 with the message. */
export class UsageError extends Error {}

export interface ImportArgs {
  paths: string[];
  url?: string;
  tokenFile?: string;
  concurrency: number;
}

/** Parses the command line; throws a UsageError on anything unexpected (a token given on it included). */
export function parseImportArgs(argv: string[]): ImportArgs {
  const args: ImportArgs = { paths: [], concurrency: 4 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--token' || a.startsWith('--token=')) {
      throw new UsageError(`--token is not accepted: npm prints the command line and others can read it. Put the token in DMP_IMPORT_TOKEN or in a file named by --token-file\n${USAGE}`);
    }
    if (a === '--url' || a === '--token-file' || a === '--concurrency') {
      const value = argv[++i];
      if (value === undefined) throw new UsageError(`${a} needs a value\n${USAGE}`);
      if (a === '--url') args.url = value.replace(/\/+$/, '');
      else if (a === '--token-file') args.tokenFile = value;
      else if (/^\d+$/.test(value) && Number(value) > 0 && Number(value) <= 64) args.concurrency = Number(value);
      else throw new UsageError(`--concurrency takes an integer from 1 to 64\n${USAGE}`);
    } else if (a.startsWith('--')) throw new UsageError(`unknown option ${a}\n${USAGE}`);
    else args.paths.push(a);
  }
  if (!args.paths.length) throw new UsageError(USAGE);
  return args;
}

/** The token: the file named by --token-file (trimmed), else DMP_IMPORT_TOKEN, else none. */
export function loadToken(args: ImportArgs, env: NodeJS.ProcessEnv): string | undefined {
  if (args.tokenFile) {
    let text: string;
    try {
      text = readFileSync(args.tokenFile, 'utf8').trim();
    } catch (err) {
      throw new UsageError(`--token-file ${args.tokenFile}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    if (!text) throw new UsageError(`--token-file ${args.tokenFile} is empty`);
    return text;
  }
  return env.DMP_IMPORT_TOKEN?.trim() || undefined;
}

/** A one-line progress bar. */
export function progressBar(done: number, total: number, width = 30): string {
  const filled = total ? Math.round((done / total) * width) : width;
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total}`;
}

/** The progress line: the bar, the counts so far and the time left at the current pace. */
export function progressLine(counts: Record<FileOutcome['result'], number>, done: number, total: number, elapsedMs: number): string {
  const left = done && done < total ? ` ~${Math.ceil(((total - done) * elapsedMs) / done / 1000)}s left` : '';
  return `${progressBar(done, total)} imported ${counts.imported} present ${counts.duplicate} rejected ${counts.rejected}${counts.failed ? ` failed ${counts.failed}` : ''}${left}`;
}

/** The human report printed at the end. */
export function formatSummary(summary: BatchSummary): string {
  const lines = [
    `imported: ${summary.imported}  duplicate: ${summary.duplicate}  rejected: ${summary.rejected}${summary.failed ? `  failed: ${summary.failed}` : ''}${summary.skipped ? `  not sent: ${summary.skipped}` : ''}`,
    `${(summary.outcomes.length / Math.max(summary.seconds, 1e-9)).toFixed(1)} documents/s, ${(summary.bytes / 1024 / 1024 / Math.max(summary.seconds, 1e-9)).toFixed(2)} MB/s`,
  ];
  for (const o of summary.outcomes.filter((x) => x.result === 'rejected')) lines.push(`  rejected ${o.file}: ${o.reason}`);
  const failure = summary.outcomes.find((x) => x.result === 'failed');
  if (failure) lines.push(`import stopped: ${failure.reason}${failure.status === 401 ? ' (check the token)' : ''}`);
  return lines.join('\n');
}

/** The exit code of a finished import. */
export function exitCodeOf(summary: BatchSummary): number {
  if (summary.failed) return EXIT.unreachable;
  return summary.rejected ? EXIT.rejected : EXIT.ok;
}

/** Runs the command; returns its exit code. */
export async function main(argv: string[], env: NodeJS.ProcessEnv = process.env, stderr: NodeJS.WriteStream = process.stderr): Promise<number> {
  const args = parseImportArgs(argv);
  const files = collectFiles(args.paths);
  let fhirUrl = args.url;
  let token = loadToken(args, env);
  let close: (() => Promise<void>) | undefined;
  if (!fhirUrl) {
    const config = loadConfig(env, { port: 0, host: '127.0.0.1', logLevel: 'warn' });
    const server = await startServer(config, { env });
    fhirUrl = server.fhirUrl;
    close = server.close;
    if (!token) {
      const auth = loadAuthConfig(env, path.resolve(config.dataDir));
      if (!trustsDevIssuer(auth)) {
        await close();
        throw new UsageError('No token: set DMP_IMPORT_TOKEN or --token-file (the embedded server trusts a minted development token only with DEV_AUTH=1)');
      }
      token = await mintDevToken(auth, await loadDevKey(auth), { kind: 'system', id: 'cda-import-cli', category: 'feeder' });
    }
  }
  const tty = !!stderr.isTTY;
  const counts = { imported: 0, duplicate: 0, rejected: 0, failed: 0 };
  const started = Date.now();
  const step = Math.max(1, Math.ceil(files.length / 20));
  const summary = await importFiles(files, {
    fhirUrl,
    token,
    concurrency: args.concurrency,
    stopOnFailure: true,
    onOutcome: (o, done) => {
      counts[o.result]++;
      // A terminal gets one line redrawn in place; a log file or a pipe gets a line every 5% and the last.
      if (tty) stderr.write(`\r${progressLine(counts, done, files.length, Date.now() - started)}\u001b[K`);
      else if (done === files.length || done % step === 0) stderr.write(`${progressLine(counts, done, files.length, Date.now() - started)}\n`);
    },
  });
  if (tty) stderr.write('\n');
  process.stdout.write(`${formatSummary(summary)}\n`);
  await close?.();
  return exitCodeOf(summary);
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => (process.exitCode = code),
    (err: Error) => {
      process.stderr.write(`${err.message}\n`);
      // Without --url, a data directory another process has open (the running server) is a server that cannot be reached.
      process.exitCode = err instanceof DataDirInUseError ? EXIT.unreachable : EXIT.usage;
    },
  );
}
