import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createApp, type AppOptions } from './app';
import { composeApp } from './compose';
import type { Config } from './config';
import type { FhirService } from './fhir/service';
import { createHttpServer } from './http/http-server';
import { closeGracefully } from './http/graceful-close';
import { createLogger, type Logger } from './logger';
import type { Db } from './store/db';
import { migrate } from './store/migrate';
import { AUTOVACUUM_OFF_WARNING, runsWithoutAutovacuum } from './store/autovacuum-check';
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

/** A start-up failure whose message says all (no stack trace): the port is taken, the address cannot be bound. */
export class ListenError extends Error {
  override readonly name = 'ListenError';
}

/** Listens, rejecting with a message naming the setting to change when the port is taken or not allowed. */
function listen(server: Server, port: number, host: string): Promise<Server> {
  return new Promise((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EADDRINUSE') reject(new ListenError(`port ${port} is already in use: set PORT`));
      else if (err.code === 'EACCES') reject(new ListenError(`port ${port} needs privileges this process does not have: set PORT`));
      else if (err.code === 'EADDRNOTAVAIL') reject(new ListenError(`address ${host} is not available on this machine: set HOST`));
      else reject(err);
    });
    server.listen(port, host, () => resolve(server));
  });
}

/** Opens the database (PostgreSQL or PGlite), migrates it, composes the app and listens. */
export async function startServer(config: Config, options: StartOptions = {}): Promise<RunningServer> {
  const logger = options.logger ?? createLogger(config.logLevel);
  const db = options.db ?? (await openDb({
    databaseUrl: config.databaseUrl,
    dataDir: config.dataDir,
    poolSize: config.dbPoolSize,
    statementTimeoutMs: config.statementTimeoutMs,
    connectionLifetimeS: config.dbConnectionLifetimeS,
    onHostChange: (index) => logger.warn('database host changed (failover): the pool now uses another host of DATABASE_URL', { hostIndex: index }),
    onPoolError: (err) => logger.warn('database connection lost (the pooled client is dropped, a new one opened on demand)', { code: err.code, error: err.message }),
  }));
  await migrate(db);
  if (await runsWithoutAutovacuum(db)) logger.warn(AUTOVACUUM_OFF_WARNING);
  const composed = options.app ? undefined : await composeApp({ config, db, logger, env: options.env ?? process.env });
  const { app, service } = createApp({ ...(composed ?? options.app), config, db, logger });
  composed?.start(service);
  let server: Server;
  try {
    const http = createHttpServer(app, { requestTimeoutMs: config.requestTimeoutMs });
    server = await listen(http, config.port, config.host);
  } catch (err) {
    await composed?.close();
    if (!options.db) await db.close();
    throw err;
  }
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
