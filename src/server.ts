import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createApp, type AppOptions } from './app';
import type { Config } from './config';
import { createLogger } from './logger';
import type { Db } from './store/db';
import { migrate } from './store/migrate';
import { openDb } from './store/open-db';

export interface RunningServer {
  url: string;
  fhirUrl: string;
  db: Db;
  server: Server;
  close(): Promise<void>;
}

/** Opens the database (PostgreSQL or PGlite), migrates it, builds the app and listens. */
export async function startServer(config: Config, options: Partial<Omit<AppOptions, 'config'>> = {}): Promise<RunningServer> {
  const logger = options.logger ?? createLogger(config.logLevel);
  const db = options.db ?? (await openDb({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, poolSize: config.dbPoolSize }));
  await migrate(db);
  const { app } = createApp({ ...options, config, db, logger });
  const server = await new Promise<Server>((resolve, reject) => {
    const s = app.listen(config.port, config.host, () => resolve(s));
    s.once('error', reject);
  });
  server.keepAliveTimeout = 65_000;
  const port = (server.address() as AddressInfo).port;
  const host = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
  const url = `http://${host}:${port}`;
  logger.info('listening', { url: `${url}${config.fhirBasePath}`, database: db.kind });
  return {
    url,
    fhirUrl: `${url}${config.fhirBasePath}`,
    db,
    server,
    close: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      if (!options.db) await db.close();
    },
  };
}
