import { createApp } from '../../src/app';
import { composeApp } from '../../src/compose';
import { createLogger } from '../../src/logger';
import { PgDb } from '../../src/store/pg-db';
import { patientId } from '../ids';
import { ACCESS_BENCH_DATA_DIR, accessVariant, AUTH_ENV, practitionerTokens } from './access';
import { loadConfig } from '../../src/config';
import { auditCounters } from './audit-counters';
import { seedTreatingFirstAccesses } from '../first-accesses';
import type { BenchVariant } from './variant';

/**
 * What `npm start` serves, composed by the same `composeApp` (audit with notices, access control with token
 * verification, document intake), with the settings production requires (a chain secret); the development issuer
 * stands in for the production one (the same ES256 verification). The caller is the patient's treating physician,
 * the professional who reads a record most, and who sees every document: the answers equal the baseline's.
 */
export const productionVariant: BenchVariant = {
  name: 'production',
  description: 'npm start\'s composition (composeApp: tokens, access, audit + notices, documents), treating physician, PgDb',
  async build(databaseUrl) {
    // AUDIT_FLUSH_CONCURRENCY of the bench's environment reaches the server (default 1, as `npm start`).
    const config = loadConfig({ AUDIT_FLUSH_CONCURRENCY: process.env.AUDIT_FLUSH_CONCURRENCY }, { databaseUrl, dataDir: ACCESS_BENCH_DATA_DIR, logLevel: 'error' });
    // The pool as `startServer` opens it (statement timeout, connection lifetime).
    const db = new PgDb(databaseUrl, config.dbPoolSize, { statementTimeoutMs: config.statementTimeoutMs, connectionLifetimeS: config.dbConnectionLifetimeS });
    const logger = createLogger('error');
    const env: NodeJS.ProcessEnv = { ...AUTH_ENV, AUDIT_CHAIN_SECRET: 'bench-chain-secret', NOTIFY_POLL_MS: '60000' };
    const composed = await composeApp({ config, db, logger, env });
    const { app, service } = createApp({ ...composed, config, db, logger });
    composed.start(service);
    return {
      handler: app,
      close: async () => {
        await composed.close();
        await db.close();
      },
      counters: auditCounters(composed.hooks ?? []),
    };
  },
  async prepare(databaseUrl, dataset) {
    await accessVariant.prepare?.(databaseUrl, dataset);
    const db = new PgDb(databaseUrl, 2);
    try {
      await seedTreatingFirstAccesses(db, dataset);
    } finally {
      await db.close();
    }
  },
  async requestHeaders(databaseUrl, dataset) {
    const config = loadConfig({}, { databaseUrl, dataDir: ACCESS_BENCH_DATA_DIR });
    const tokens = await practitionerTokens(config, dataset.practitioners);
    // Dataset: patient n's treating physician is practitioner n mod practitioners (`specialistOf` is the next one).
    const byPatient = new Map<string, string>();
    for (let n = 0; n < dataset.size.patients; n++) byPatient.set(patientId(n), `Bearer ${tokens[n % dataset.practitioners]}`);
    return (patient) => ({ authorization: byPatient.get(patient) ?? '' });
  },
};
