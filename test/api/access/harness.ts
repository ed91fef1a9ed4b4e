import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Express } from 'express';
import { createApp } from '../../../src/app';
import { accessWiring } from '../../../src/access/wiring';
import { smartWiring } from '../../../src/smart/wiring';
import { loadAuthConfig, type AuthConfig } from '../../../src/auth/auth-config';
import { loadDevKey, type DevKey } from '../../../src/auth/dev-key';
import { exportJWK, generateKeyPair } from '../../../src/auth/jose';
import { mintDevToken, type MintOptions } from '../../../src/auth/mint-token';
import type { LoginCodeSender, PatientLoginOptions } from '../../../src/auth/patient-login';
import { loadConfig, type Config } from '../../../src/config';
import type { FhirService, OperationDefinitionEntry } from '../../../src/fhir/service';
import { createLogger } from '../../../src/logger';
import { createTestDb, type TestDb } from '../../support/test-db';

export interface AccessApp {
  app: Express;
  service: FhirService;
  testDb: TestDb;
  auth: AuthConfig;
  devKey: DevKey;
  env: NodeJS.ProcessEnv;
  /** Mints a development token the app trusts. */
  token(options: MintOptions): Promise<string>;
  close(): Promise<void>;
}

async function jwkText(kid: string): Promise<string> {
  const { privateKey } = await generateKeyPair('ES256', { extractable: true });
  return JSON.stringify({ ...(await exportJWK(privateKey)), kid, alg: 'ES256' });
}

/**
 * The real app with the access wiring (and only it) on a fresh database, signing keys given through the
 * environment as in production, development tokens trusted (DEV_AUTH=1, unless `env` says otherwise), and a clock,
 * code sender and password check the test may control.
 */
export async function createAccessApp(
  options: {
    clock?: () => Date;
    sendLoginCode?: LoginCodeSender;
    verifyLoginPassword?: PatientLoginOptions['verifyPassword'];
    env?: NodeJS.ProcessEnv;
    /** Cheap scrypt for passwords set by activation and reset. */
    scrypt?: { N: number; r: number; p: number };
    /** Public base URL (BASE_URL): the token URL client assertions name. */
    baseUrl?: string;
    /** Operations mounted beside the access wiring's (a test registering a handler of its own). */
    extraOperations?: OperationDefinitionEntry[];
    /** Configuration keys the test sets (a work limit small enough to reach). */
    config?: Partial<Config>;
    /** The database of another app, as a restart of the server with other settings finds it (not dropped on close). */
    testDb?: TestDb;
  } = {},
): Promise<AccessApp> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'dmp-access-'));
  const env: NodeJS.ProcessEnv = { DEV_AUTH: '1', DEV_ISSUER_KEY: await jwkText('dev-test'), LOGIN_ISSUER_KEY: await jwkText('login-test'), ...options.env };
  const testDb = options.testDb ?? (await createTestDb());
  const config = loadConfig({}, { logLevel: 'silent', dataDir, baseUrl: options.baseUrl, ...options.config });
  const logger = createLogger('silent');
  const wiring = await accessWiring({ config, db: testDb.db, logger, env }, {
    clock: options.clock,
    sendLoginCode: options.sendLoginCode,
    verifyLoginPassword: options.verifyLoginPassword,
    scrypt: options.scrypt,
  });
  // The SMART authorization server comes with the sign-in it drives (discovery, authorize, token, CORS).
  const smart = await smartWiring({ config, db: testDb.db, logger, env }, { clock: options.clock, sendLoginCode: options.sendLoginCode, verifyLoginPassword: options.verifyLoginPassword });
  const routes = (a: Express, s: FhirService) => {
    smart.routes?.(a, s);
    wiring.routes?.(a, s);
  };
  const { app, service } = createApp({ config, db: testDb.db, logger, hooks: wiring.hooks, operations: [...(wiring.operations ?? []), ...(options.extraOperations ?? [])], routes, oauthUris: smart.oauthUris });
  const auth = loadAuthConfig(env, dataDir);
  const devKey = await loadDevKey(auth);
  return {
    app,
    service,
    testDb,
    auth,
    devKey,
    env,
    token: (o) => mintDevToken(auth, devKey, o),
    close: async () => {
      await wiring.close?.();
      if (!options.testDb) await testDb.drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
