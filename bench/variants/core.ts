import { createApp } from '../../src/app';
import { loadConfig } from '../../src/config';
import { PgDb } from '../../src/store/pg-db';
import type { BenchVariant } from './variant';

/** Our FHIR server: the real app (`createApp`) with no hooks, on the `pg` driver with its default pool. */
export const coreVariant: BenchVariant = {
  name: 'core',
  description: 'our createApp, no hooks (no access control, no audit), PgDb',
  async build(databaseUrl) {
    const config = loadConfig({}, { databaseUrl });
    const db = new PgDb(databaseUrl, config.dbPoolSize);
    const { app } = createApp({ config, db });
    return { handler: app, close: () => db.close() };
  },
};
