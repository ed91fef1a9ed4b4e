import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { markSystemContext } from '../../../src/access/access-hooks';
import { loadAuthConfig } from '../../../src/auth/auth-config';
import { loadDevKey } from '../../../src/auth/dev-key';
import { exportJWK, generateKeyPair } from '../../../src/auth/jose';
import { mintDevToken, type MintOptions } from '../../../src/auth/mint-token';
import { loadConfig, type Config } from '../../../src/config';
import type { RequestContext } from '../../../src/fhir/context';
import { createLogger, type Logger } from '../../../src/logger';
import { type RunningServer, startServer } from '../../../src/server';
import type { Db } from '../../../src/store/db';
import { TRUE } from '../../../src/store/sql';
import { createTestDb, type TestDb } from '../../support/test-db';
import { RequestState } from '../../../src/fhir/request-state';

export interface AuditServer {
  server: RunningServer;
  testDb: TestDb;
  env: NodeJS.ProcessEnv;
  token(options: MintOptions): Promise<string>;
  /** A FHIR request with a bearer token (and optional extra headers); answers status and parsed JSON. */
  fhir(token: string, method: string, url: string, body?: unknown, headers?: Record<string, string>): Promise<{ status: number; body: any }>;
  /** `POST /DocumentReference/$import` of a CDA document with a bearer token; answers status and parsed JSON. */
  importCda(token: string, document: string | Buffer, contentType?: string): Promise<{ status: number; body: any }>;
  /** The server acting on its own (fixture loading): no actor checks, hooks still run. */
  systemContext(): RequestContext;
  close(): Promise<void>;
}

async function jwkText(kid: string): Promise<string> {
  const { privateKey } = await generateKeyPair('ES256', { extractable: true });
  return JSON.stringify({ ...(await exportJWK(privateKey)), kid, alg: 'ES256' });
}

/** The real composed server (startServer) on a fresh test database, with the given extra environment. */
export async function startAuditServer(extraEnv: NodeJS.ProcessEnv = {}, options: { config?: Partial<Config>; logger?: Logger; wrapDb?: (db: Db) => Db } = {}): Promise<AuditServer> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'dmp-audit-'));
  const env: NodeJS.ProcessEnv = { DEV_AUTH: '1', DEV_ISSUER_KEY: await jwkText('dev-test'), LOGIN_ISSUER_KEY: await jwkText('login-test'), AUDIT_CHAIN_SECRET: 'test-chain-secret', ...extraEnv };
  const testDb = await createTestDb();
  const config = loadConfig({}, { logLevel: 'silent', dataDir, port: 0, host: '127.0.0.1', ...options.config });
  const server = await startServer(config, { db: options.wrapDb ? options.wrapDb(testDb.db) : testDb.db, env, logger: options.logger ?? createLogger('silent') });
  const auth = loadAuthConfig(env, dataDir);
  const devKey = await loadDevKey(auth);
  return {
    server,
    testDb,
    env,
    token: (o) => mintDevToken(auth, devKey, o),
    async fhir(token, method, url, body, headers = {}) {
      const res = await fetch(`${server.fhirUrl}${url}`, {
        method,
        headers: { authorization: `Bearer ${token}`, accept: 'application/fhir+json', ...(body ? { 'content-type': 'application/fhir+json' } : {}), ...headers },
        body: body ? JSON.stringify(body) : undefined,
      });
      const text = await res.text();
      return { status: res.status, body: text ? JSON.parse(text) : undefined };
    },
    async importCda(token, document, contentType = 'application/hl7-cda+xml') {
      const res = await fetch(`${server.fhirUrl}/DocumentReference/$import`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': contentType, accept: 'application/fhir+json' }, body: document });
      const text = await res.text();
      return { status: res.status, body: text ? JSON.parse(text) : undefined };
    },
    systemContext() {
      const ctx: RequestContext = { requestId: 'fixture', access: TRUE, state: new RequestState() };
      markSystemContext(ctx);
      return ctx;
    },
    async close() {
      await server.close();
      await testDb.drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Polls `check` until it returns true (or fails after `timeoutMs`). */
export async function waitFor(check: () => boolean | Promise<boolean>, timeoutMs = 15_000, what = 'condition'): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
