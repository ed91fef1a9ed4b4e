import { loadAuthConfig } from './auth/auth-config';
import { loadConfig } from './config';
import { createLogger } from './logger';
import { ListenError, startServer } from './server';
import { prepareValidation } from './app';
import { loadInsSystemsPolicy } from './validation/ins-test-systems';

/** Entry point: configuration from the environment, then serve until SIGINT/SIGTERM. */
async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
    // Checked here too so that a forbidden combination (DEV_AUTH=1 with NODE_ENV=production) stops with its message alone.
    loadAuthConfig(process.env, config.dataDir);
    loadInsSystemsPolicy(process.env);
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    process.exit(2);
  }
  const logger = createLogger(config.logLevel);
  if (!config.databaseUrl) {
    logger.warn('embedded PGlite store: for evaluation and development only (no fsync; use DATABASE_URL for durability)', { dataDir: config.dataDir });
  }
  logger.info('validation compiled', { ms: prepareValidation() });
  const running = await startServer(config, { logger });
  // A second signal during the grace period gets Node's default (the process ends at once): the usual way out.
  const stop = async (signal: string) => {
    logger.info('shutting down', { signal });
    try {
      await running.close();
      process.exit(0);
    } catch (err) {
      logger.error('shutdown failed', { error: (err as Error).message });
      process.exit(1);
    }
  };
  process.once('SIGINT', () => void stop('SIGINT'));
  process.once('SIGTERM', () => void stop('SIGTERM'));
}

main().catch((err: unknown) => {
  if (err instanceof ListenError) {
    process.stderr.write(`${err.message}\n`);
    process.exit(1);
  }
  process.stderr.write(`Failed to start: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
