/**
 * Ends every access token naming one actor issued until now, whatever its issuer (`../auth/operator-cutoffs.ts`):
 *   npm run -s tokens:cut -- <practitioner|system|patient|guardian> <id> --reason "…"
 * A practitioner is named by his RPPS or IdNat_PS (either spelling ends both), a system by its client id, a patient by
 * his record's id, a guardian by his RelatedPerson id (a patient's or guardian's SMART refresh tokens then fail too: they
 * are ended with his sign-in sessions). Running servers refuse those tokens within TOKEN_CUTOFF_CACHE_MS.
 * Uses DATABASE_URL (or DATA_DIR: stop the server first, PGlite has one process).
 * Exit code: 0 done, 2 bad arguments or failure.
 */
import type { DmpActorKind } from '../access/actor';
import { cutOffActorTokens } from '../auth/operator-cutoffs';
import { runAsCommand, withConfiguredDb } from './command';

const KINDS: readonly DmpActorKind[] = ['practitioner', 'system', 'patient', 'guardian'];
const USAGE = 'usage: npm run -s tokens:cut -- <practitioner|system|patient|guardian> <id> --reason "…"';

export interface CutArgs {
  kind: DmpActorKind;
  id: string;
  reason: string;
}

/** Parses the command line; throws with the usage on anything unexpected (a reason is required: it is kept). */
export function parseCutArgs(argv: string[]): CutArgs {
  const [kind, id, ...rest] = argv;
  if (!KINDS.includes(kind as DmpActorKind) || !id || !/^[A-Za-z0-9\-.:]{1,64}$/.test(id)) throw new Error(USAGE);
  let reason: string | undefined;
  for (let i = 0; i < rest.length; i += 2) {
    if (rest[i] === '--reason' && rest[i + 1]?.trim()) reason = rest[i + 1].trim().slice(0, 200);
    else throw new Error(`unexpected ${rest[i]}\n${USAGE}`);
  }
  if (!reason) throw new Error(`--reason is required\n${USAGE}`);
  return { kind: kind as DmpActorKind, id, reason: `operator: ${reason}` };
}

/** The command: writes the cut-offs in one transaction and prints what they end; returns the exit code. */
export async function main(argv: string[], env: NodeJS.ProcessEnv = process.env, out: (text: string) => void = (t) => void process.stdout.write(t)): Promise<number> {
  const args = parseCutArgs(argv);
  const { subjects, at } = await withConfiguredDb(env, (db) => db.transaction((tx) => cutOffActorTokens(tx, args.kind, args.id, args.reason)));
  out(`tokens naming ${args.kind} ${args.id} issued until ${at.toISOString()} are refused (${subjects.join(', ')}); running servers apply it within TOKEN_CUTOFF_CACHE_MS\n`);
  return 0;
}

if (require.main === module) runAsCommand('tokens:cut', main);
