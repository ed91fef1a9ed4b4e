import { createApp } from '../../src/app';
import type { Config } from '../../src/config';
import type { Logger } from '../../src/logger';
import type { Db } from '../../src/store/db';
import type { Wiring } from '../../src/wiring';
import type { BenchServer } from './variant';

/** The app with a module's wiring, as production composes it, served as a bench server that closes both. */
export function wiredServer(db: Db, config: Config, logger: Logger, wiring: Wiring): BenchServer {
  const { app, service } = createApp({ config, db, logger, hooks: wiring.hooks, operations: wiring.operations, routes: wiring.routes });
  wiring.start?.(service);
  return {
    handler: app,
    close: async () => {
      await wiring.close?.();
      await db.close();
    },
  };
}
