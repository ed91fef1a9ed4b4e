import { loadConfig } from '../config';
import type { Db } from '../store/db';
import { openDb } from '../store/open-db';

/**
 * Runs `work` on the database the configuration names (DATABASE_URL, else PGlite in DATA_DIR: the server must be stopped
 * first, PGlite has one process), closing it afterwards whatever happens.
 */
export async function withConfiguredDb<T>(env: NodeJS.ProcessEnv, work: (db: Db) => Promise<T>): Promise<T> {
  const config = loadConfig(env);
  const db = await openDb({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  try {
    return await work(db);
  } finally {
    await db.close();
  }
}

/** The `require.main` entry of a command: its exit code, or 2 with the message on stderr. */
export function runAsCommand(name: string, main: (argv: string[]) => Promise<number>): void {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`${name}: ${(err as Error).message}\n`);
      process.exit(2);
    },
  );
}
