import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/config';
import type { Hooks } from '../../src/fhir/context';
import { createLogger } from '../../src/logger';
import { startServer, type RunningServer } from '../../src/server';
import { openAccessHooksForTests } from '../support/open-access-hooks';
import { createTestDb, defaultDbKind, type TestDb } from '../support/test-db';

/** A hook that holds requests carrying `x-slow: <ms>` before they reach the store, and says when one is held. */
function slowHook(onHeld: () => void): Hooks {
  return {
    async authenticate(request) {
      const ms = Number(request.headers['x-slow'] ?? 0);
      if (ms > 0) {
        onHeld();
        await new Promise((r) => setTimeout(r, ms));
      }
    },
  };
}

describe('graceful shutdown', () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'dmp-shutdown-'));
  let testDb: TestDb | undefined;
  let running: RunningServer;
  let held!: () => void;
  const requestHeld = new Promise<void>((resolve) => (held = resolve));

  beforeAll(async () => {
    // The server opens (and must close) its own database, as in production.
    if (defaultDbKind() === 'pg') testDb = await createTestDb('pg');
    const config = loadConfig({}, { port: 0, host: '127.0.0.1', logLevel: 'silent', dataDir, databaseUrl: testDb?.url, shutdownGraceMs: 10_000 });
    running = await startServer(config, { logger: createLogger('silent'), app: { hooks: [openAccessHooksForTests(), slowHook(held)] } });
  }, 120_000);

  afterAll(async () => {
    await running?.close();
    await testDb?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('lets a slow request in flight finish with its normal answer and refuses new connections meanwhile', async () => {
    const slow = fetch(`${running.fhirUrl}/Patient`, {
      method: 'POST',
      headers: { 'content-type': 'application/fhir+json', 'x-slow': '1500' },
      body: JSON.stringify({ resourceType: 'Patient', name: [{ family: 'LENT' }] }),
    });
    await requestHeld;
    let closedAt = 0;
    const closing = running.close().then(() => (closedAt = Date.now()));
    await new Promise((r) => setTimeout(r, 100));

    // A new connection after shutdown started is refused.
    await expect(fetch(`${running.url}/healthz`, { headers: { connection: 'close' } })).rejects.toThrow();

    // The request in flight is answered as usual: the database was still open when it wrote.
    const res = await slow;
    const answeredAt = Date.now();
    expect(res.status).toBe(201);
    expect(((await res.json()) as { resourceType: string }).resourceType).toBe('Patient');
    await closing;
    expect(closedAt).toBeGreaterThanOrEqual(answeredAt - 50);
  }, 60_000);
});
