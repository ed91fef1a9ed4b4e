import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../../src/config';
import { startServer, type RunningServer } from '../../../src/server';
import { createTestDb, type TestDb } from '../../support/test-db';
import { loadFixture } from './fixture';

/** The running production composition of a test file, filled in by its `beforeAll`. */
export interface FixtureServer {
  server: RunningServer;
  /** DATA_DIR of the run: where the development key the token CLI uses is kept. */
  dataDir: string;
}

/**
 * Registers the `beforeAll`/`afterAll` of a file that runs the production composition (`startServer`, wired as
 * `npm start` wires it, development tokens enabled) over the access fixture, on a database of its own.
 */
export function useFixtureServer(prefix: string): FixtureServer {
  const run = {} as FixtureServer;
  let testDb: TestDb | undefined;
  beforeAll(async () => {
    run.dataDir = mkdtempSync(path.join(tmpdir(), prefix));
    testDb = await createTestDb();
    run.server = await startServer(loadConfig({}, { port: 0, host: '127.0.0.1', logLevel: 'silent', dataDir: run.dataDir }), { db: testDb.db, env: { DEV_AUTH: '1' } });
    await loadFixture(run.server.service);
  }, 120_000);
  afterAll(async () => {
    await run.server?.close();
    await testDb?.drop();
    if (run.dataDir) rmSync(run.dataDir, { recursive: true, force: true });
  });
  return run;
}
