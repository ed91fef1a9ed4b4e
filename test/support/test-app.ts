import type { Express } from 'express';
import { createApp, type AppOptions } from '../../src/app';
import { loadConfig, type Config } from '../../src/config';
import type { FhirService } from '../../src/fhir/service';
import { createLogger } from '../../src/logger';
import { createTestDb, type DbKind, type TestDb } from './test-db';

export interface TestApp {
  app: Express;
  service: FhirService;
  testDb: TestDb;
  config: Config;
  close(): Promise<void>;
}

/** The real app on a fresh database (PostgreSQL when TEST_DATABASE_URL is set, else PGlite). */
export async function createTestApp(options: Partial<Omit<AppOptions, 'db' | 'config'>> & { config?: Partial<Config>; kind?: DbKind } = {}): Promise<TestApp> {
  const testDb = await createTestDb(options.kind);
  const config = loadConfig({}, { logLevel: 'silent', ...options.config });
  const { app, service } = createApp({ logger: createLogger('silent'), ...options, config, db: testDb.db });
  return { app, service, testDb, config, close: () => testDb.drop() };
}

export const FHIR_JSON = 'application/fhir+json';
