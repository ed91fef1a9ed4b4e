/**
 * Mints a development bearer token and prints it alone on stdout:
 *   npm run -s token -- <patient|guardian|practitioner|system> <id> [--role samu-regulator|directory-admin]
 *     [--purpose BTG --reason "…"] [--category insurer|employer|bank|occupational-health|assurance-maladie]
 *     [--scope "…"] [--ttl seconds]
 * Always signed with the development key (this CLI needs no DEV_AUTH); the server trusts it only when started in
 * development mode (DEV_AUTH=1, e.g. `npm run start:dev`) with the same DATA_DIR (or DEV_ISSUER_KEY).
 */
import path from 'node:path';
import type { DmpActorKind, OrganisationCategory } from '../access/actor';
import { loadAuthConfig } from '../auth/auth-config';
import { loadDevKey } from '../auth/dev-key';
import { mintDevToken, type MintOptions } from '../auth/mint-token';

const KINDS: DmpActorKind[] = ['patient', 'guardian', 'practitioner', 'system'];
const CATEGORIES = ['insurer', 'employer', 'bank', 'occupational-health', 'assurance-maladie', 'feeder', 'care'];
const USAGE = 'usage: npm run -s token -- <patient|guardian|practitioner|system> <id> [--role samu-regulator|directory-admin|identity-verifier] [--purpose BTG --reason "…"] [--category …] [--scope "…"] [--ttl seconds]';

/** Parses the command line into mint options; throws with the usage on anything unexpected. */
export function parseTokenArgs(argv: string[]): MintOptions {
  const [kind, id, ...rest] = argv;
  if (!KINDS.includes(kind as DmpActorKind) || !id) throw new Error(USAGE);
  const options: MintOptions = { kind: kind as DmpActorKind, id };
  for (let i = 0; i < rest.length; i += 2) {
    const [flag, value] = [rest[i], rest[i + 1]];
    if (value === undefined) throw new Error(`${flag} needs a value\n${USAGE}`);
    if (flag === '--role' && (value === 'samu-regulator' || value === 'directory-admin' || value === 'identity-verifier')) options.role = value;
    else if (flag === '--purpose') options.purpose = value;
    else if (flag === '--reason') options.reason = value;
    else if (flag === '--category' && CATEGORIES.includes(value)) options.category = value as OrganisationCategory;
    else if (flag === '--scope') options.scope = value;
    else if (flag === '--ttl' && /^\d+$/.test(value)) options.ttl = Number(value);
    else throw new Error(`unexpected ${flag} ${value}\n${USAGE}`);
  }
  return options;
}

async function main(): Promise<void> {
  const options = parseTokenArgs(process.argv.slice(2));
  const config = loadAuthConfig(process.env, path.resolve(process.env.DATA_DIR || './data'));
  const token = await mintDevToken(config, await loadDevKey(config), options);
  process.stdout.write(`${token}\n`);
}

if (require.main === module) {
  main().catch((err: Error) => {
    process.stderr.write(`${err.message}\n`);
    process.exit(2);
  });
}
