import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createApp, type AppOptions } from './app';
import { composeApp } from './compose';
import type { Config } from './config';
import type { FhirService } from './fhir/service';
import { closeGracefully } from './http/graceful-close';
import { createLogger, type Logger } from './logger';
import type { Db } from './store/db';
import { migrate } from './store/migrate';
import { openDb } from './store/open-db';

export interface RunningServer {
  url: string;
  fhirUrl: string;
  db: Db;
  server: Server;
  service: FhirService;
  close(): Promise<void>;
}

export interface StartOptions {
  db?: Db;
  logger?: Logger;
  env?: NodeJS.ProcessEnv;
  /** Options replacing the production composition (tests of the bare FHIR core). */
  app?: Partial<Omit<AppOptions, 'config' | 'db'>>;
}

/** Opens the database (PostgreSQL or PGlite), migrates it, composes the app and listens. */
export async function startServer(config: Config, options: StartOptions = {}): Promise<RunningServer> {
  const logger = options.logger ?? createLogger(config.logLevel);
  const db = options.db ?? (await openDb({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, poolSize: config.dbPoolSize }));
  await migrate(db);
  const composed = options.app ? undefined : await composeApp({ config, db, logger, env: options.env ?? process.env });
  const { app, service } = createApp({ ...(composed ?? options.app), config, db, logger });
  composed?.start(service);
  const server = await new Promise<Server>((resolve, reject) => {
    const s = app.listen(config.port, config.host, () => resolve(s));
    s.once('error', reject);
  });
  server.keepAliveTimeout = 65_000;
  const port = (server.address() as AddressInfo).port;
  const host = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
  const url = `http://${host}:${port}`;
  logger.info('listening', { url: `${url}${config.fhirBasePath}`, database: db.kind });
  let closing: Promise<void> | undefined;
  // Order matters: requests in flight still write (audit at pre-commit, outbox rows), so the HTTP side drains first,
  // then the audit group commit and the outbox dispatcher (its pass in progress ends its leases), then the database.
  const shutdown = async (): Promise<void> => {
    const { forced } = await closeGracefully(server, config.shutdownGraceMs);
    if (forced) logger.warn('shutdown grace period over: open requests were cut', { graceMs: config.shutdownGraceMs });
    await composed?.close();
    if (!options.db) await db.close();
  };
  return {
    url,
    fhirUrl: `${url}${config.fhirBasePath}`,
    db,
    server,
    service,
    close: () => (closing ??= shutdown()),
  };
}
