import { loadConfig } from '../../src/config';
import { documentsWiring } from '../../src/documents/wiring';
import { createLogger } from '../../src/logger';
import { PgDb } from '../../src/store/pg-db';
import { benchOpenAccess } from './open-access';
import type { BenchVariant } from './variant';
import { wiredServer } from './wired-server';

/**
 * The core (open access: the bench's provider) plus document intake as production wires it (CDA `$import` with
 * its parsing worker threads, ITI-65): the server of `npm run bench:import`, in its own process like every
 * variant, so that the load generator posting the documents never shares its thread.
 */
export const documentsVariant: BenchVariant = {
  name: 'documents',
  description: 'core + document intake (CDA $import parsed on worker threads), PgDb',
  async build(databaseUrl) {
    const config = loadConfig({ CDA_PLAN_WORKERS: process.env.CDA_PLAN_WORKERS }, { databaseUrl, logLevel: 'silent' });
    const db = new PgDb(databaseUrl, config.dbPoolSize);
    const logger = createLogger('silent');
    const documents = await documentsWiring({ config, db, logger, env: {} });
    return wiredServer(db, config, logger, { ...documents, hooks: [benchOpenAccess(), ...(documents.hooks ?? [])] });
  },
};
