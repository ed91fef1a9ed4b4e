import { createApp } from '../../src/app';
import { loadConfig } from '../../src/config';
import { PgDb } from '../../src/store/pg-db';
import { benchOpenAccess } from './open-access';
import type { BenchVariant } from './variant';

/** Our FHIR server: the real app (`createApp`) with only the bench's open provider, on the `pg` driver with its default pool. */
export const coreVariant: BenchVariant = {
  name: 'core',
  description: 'our createApp, open access (no access control, no audit), PgDb',
  async build(databaseUrl) {
    const config = loadConfig({}, { databaseUrl });
    const db = new PgDb(databaseUrl, config.dbPoolSize);
    const { app } = createApp({ config, db, hooks: [benchOpenAccess()] });
    return { handler: app, close: () => db.close() };
  },
};
