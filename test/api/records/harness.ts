import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Express } from 'express';
import { accessWiring } from '../../../src/access/wiring';
import { createApp } from '../../../src/app';
import type { AuditHooks } from '../../../src/audit/audit-hooks';
import { auditWiring } from '../../../src/audit/wiring';
import { loadAuthConfig } from '../../../src/auth/auth-config';
import { loadDevKey } from '../../../src/auth/dev-key';
import { exportJWK, generateKeyPair } from '../../../src/auth/jose';
import { mintDevToken, type MintOptions } from '../../../src/auth/mint-token';
import { loadConfig } from '../../../src/config';
import type { FhirService } from '../../../src/fhir/service';
import { createLogger, type Logger } from '../../../src/logger';
import type { Db } from '../../../src/store/db';
import { recordLifeWiring } from '../../../src/records/wiring';
import type { Wiring } from '../../../src/wiring';
import { createTestDb, type TestDb } from '../../support/test-db';

export interface RecordsApp {
  app: Express;
  service: FhirService;
  db: Db;
  env: NodeJS.ProcessEnv;
  /** The injected clock: set `clock.now` to move time. */
  clock: { now: Date };
  token(options: MintOptions): Promise<string>;
  /** Starts the record-life background work (the purge schedule) only: the outbox dispatcher stays off. */
  startPurgeSchedule(): void;
  close(): Promise<void>;
}

async function jwkText(kid: string): Promise<string> {
  const { privateKey } = await generateKeyPair('ES256', { extractable: true });
  return JSON.stringify({ ...(await exportJWK(privateKey)), kid, alg: 'ES256' });
}

/**
 * The production composition's audit, access and record-life wirings on a fresh database, all on one injected
 * clock (closure dates, the 10-year retention and the purge job are measured against it), development tokens trusted.
 */
export async function createRecordsApp(options: { start: Date; env?: NodeJS.ProcessEnv; logger?: Logger }): Promise<RecordsApp> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'dmp-records-'));
  const env: NodeJS.ProcessEnv = {
    DEV_AUTH: '1', DEV_ISSUER_KEY: await jwkText('dev-test'), LOGIN_ISSUER_KEY: await jwkText('login-test'), AUDIT_CHAIN_SECRET: 'test-chain-secret', PURGE_INTERVAL_MS: '0', MAJORITY_HANDOVER_INTERVAL_MS: '0', ...options.env,
  };
  const testDb: TestDb = await createTestDb();
  const config = loadConfig({}, { logLevel: 'silent', dataDir });
  const logger = options.logger ?? createLogger('silent');
  const clock = { now: options.start };
  const now = () => new Date(clock.now.getTime());
  const deps = { config, db: testDb.db, logger, env };
  let audit: AuditHooks | undefined;
  const records = await recordLifeWiring(deps, { clock: now });
  const parts: Wiring[] = [
    await auditWiring(deps, { clock: now, onHooks: (hooks) => (audit = hooks) }),
    await accessWiring(deps, { clock: now, onLogin: (ctx, info) => audit?.recordLogin(ctx, info) ?? Promise.resolve(), onAccountEvent: (ctx, info) => audit?.recordAccountEvent(ctx, info) ?? Promise.resolve() }),
    records,
  ];
  const { app, service } = createApp({
    config, db: testDb.db, logger,
    hooks: parts.flatMap((p) => p.hooks ?? []),
    operations: parts.flatMap((p) => p.operations ?? []),
    routes: (a, s) => parts.forEach((p) => p.routes?.(a, s)),
  });
  const auth = loadAuthConfig(env, dataDir);
  const devKey = await loadDevKey(auth);
  return {
    app, service, db: testDb.db, env, clock,
    token: (o) => mintDevToken(auth, devKey, o),
    startPurgeSchedule: () => records.start?.(service),
    close: async () => {
      for (const p of [...parts].reverse()) await p.close?.();
      await testDb.drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
