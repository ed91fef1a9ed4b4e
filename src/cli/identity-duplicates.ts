/**
 * Records sharing an INS (listed by migration 150 instead of failing on existing data):
 *   npm run identity:duplicates [-- --all]                              lists them (unresolved only, unless --all)
 *   npm run identity:duplicates -- --close <patientId> --reason "…"     closes one record, audited as an operator action
 * Runs on the configured database (DATABASE_URL, else PGlite in DATA_DIR), with the server's own hooks (audit included).
 * The operator is named by OPERATOR, else the system user name.
 */
import os from 'node:os';
import { closeDuplicateRecord, listIdentityDuplicates, type IdentityDuplicate } from '../access/identity-duplicates';
import { loadConfig } from '../config';
import { startServer } from '../server';

const USAGE = 'usage: npm run identity:duplicates [-- --all] | [-- --close <patientId> --reason "…"]';

export interface DuplicatesArgs {
  all: boolean;
  close?: string;
  reason?: string;
}

/** Parses the command line; throws with the usage on anything unexpected. */
export function parseDuplicatesArgs(argv: string[]): DuplicatesArgs {
  const args: DuplicatesArgs = { all: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--all') args.all = true;
    else if (a === '--close' || a === '--reason') {
      const value = argv[++i];
      if (!value?.trim()) throw new Error(`${a} needs a value\n${USAGE}`);
      if (a === '--close') args.close = value;
      else args.reason = value;
    } else throw new Error(`unexpected ${a}\n${USAGE}`);
  }
  if (args.close && !args.reason) throw new Error(`--close needs a --reason\n${USAGE}`);
  return args;
}

/** One line per duplicate, for the operator. */
export function formatDuplicates(rows: IdentityDuplicate[]): string {
  if (!rows.length) return 'no records share an INS';
  return rows
    .map((r) => `INS ${r.ins}: Patient/${r.patientId} duplicates Patient/${r.keptPatientId} (listed ${r.listedAt.toISOString()})${r.resolvedAt ? ` — resolved ${r.resolvedAt.toISOString()}: ${r.resolution}` : ''}`)
    .join('\n');
}

async function main(): Promise<void> {
  const args = parseDuplicatesArgs(process.argv.slice(2));
  // Errors only: the start-up warnings of a server (transports, issuers) are not the operator's concern here.
  const config = loadConfig(process.env, { port: 0, host: '127.0.0.1', logLevel: 'error' });
  const server = await startServer(config);
  try {
    if (args.close) {
      const operator = process.env.OPERATOR || os.userInfo().username;
      const done = await closeDuplicateRecord(server.service, { patientId: args.close, reason: args.reason as string, operator });
      console.log(`closed Patient/${done.patientId}${done.promoted.length ? `; INS handed over: ${done.promoted.join(', ')}` : ''}`);
    } else {
      console.log(formatDuplicates(await listIdentityDuplicates(server.db, { all: args.all })));
    }
  } finally {
    await server.close();
  }
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
}
