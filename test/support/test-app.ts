import type { Express } from 'express';
import { createApp, type AppOptions } from '../../src/app';
import { loadConfig, type Config } from '../../src/config';
import type { FhirService } from '../../src/fhir/service';
import { createLogger } from '../../src/logger';
import { openAccessHooksForTests } from './open-access-hooks';
import { createTestDb, type DbKind, type TestDb } from './test-db';

export interface TestApp {
  app: Express;
  service: FhirService;
  testDb: TestDb;
  config: Config;
  close(): Promise<void>;
}

export type TestAppOptions = Partial<Omit<AppOptions, 'db' | 'config'>> & {
  config?: Partial<Config>;
  kind?: DbKind;
  /** Installs the test-only open provider before `hooks` (default true): the app itself allows nothing. */
  openAccess?: boolean;
};

/**
 * The real app on a fresh database (PostgreSQL when TEST_DATABASE_URL is set, else PGlite). The bare core has no
 * access module, and its requests start with nothing allowed: unless `openAccess: false`, the test-only open
 * provider (`openAccessHooksForTests`) runs first, and `hooks` after it.
 */
export async function createTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const { openAccess = true, ...appOptions } = options;
  const testDb = await createTestDb(options.kind);
  const config = loadConfig({}, { logLevel: 'silent', ...options.config });
  const hooks = [...(openAccess ? [openAccessHooksForTests()] : []), ...(options.hooks ?? [])];
  const { app, service } = createApp({ logger: createLogger('silent'), ...appOptions, hooks, config, db: testDb.db });
  return { app, service, testDb, config, close: () => testDb.drop() };
}

export const FHIR_JSON = 'application/fhir+json';
