/**
 * Verifies the audit hash chains of the configured database and prints the result as JSON.
 *   node dist/cli/audit-verify.js [--patient <id>]     (tsx src/cli/audit-verify.ts in development)
 * Uses DATABASE_URL (PostgreSQL) or DATA_DIR (embedded PGlite) like the server, and AUDIT_CHAIN_SECRET when
 * the chain is keyed. Exit code: 0 intact, 1 broken link found, 2 could not verify.
 */
import { verifyChain } from '../audit/verify-chain';
import { runAsCommand, withConfiguredDb } from './command';

/** Parses `--patient <id>` (or `--chain <id>`, '' for events without a patient) from the arguments. */
export function parseArgs(argv: string[]): { chain?: string } {
  const i = argv.findIndex((a) => a === '--patient' || a === '--chain');
  return i >= 0 ? { chain: argv[i + 1] ?? '' } : {};
}

/** Runs the verification and returns the process exit code. */
export async function main(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const result = await withConfiguredDb(env, (db) => verifyChain(db, { ...parseArgs(argv), secret: env.AUDIT_CHAIN_SECRET || undefined }));
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
  return result.intact ? 0 : 1;
}

if (require.main === module) runAsCommand('audit-verify', main);
