import { PORTAL_SCOPE } from '../portal/sign-in';
import { PORTAL_CLIENT_ID } from '../portal/wiring';
import type { SmartClient } from './client-registry';
import type { Express } from 'express';
import type { AuthRoutesOptions } from '../auth/auth-routes';
import { loadAuthConfig } from '../auth/auth-config';
import { loadSigningKey } from '../auth/dev-key';
import { createPatientLogin, type LoginCodeSender, type PatientLoginOptions } from '../auth/patient-login';
import { queueLoginCode } from '../notify/login-code';
import type { Wiring, WiringDeps } from '../wiring';
import { mountAuthorizeRoutes } from './authorize-route';
import { mountSourceThrottle } from '../auth/source-throttle';
import { SourceHitStore } from '../auth/source-hits';
import { loadClientRegistry } from './client-registry';
import { corsMiddleware, originPolicy } from './cors';
import { mountDiscovery } from './discovery';
import { loadSmartConfig } from './smart-config';
import type { SmartDeps } from './smart-deps';
import { createSmartStore } from './smart-store';
import { mountTokenRoutes } from './token-route';
import { SystemRepository } from '../system/system-repository';
import { schedulePurge, type PurgeSchedule } from '../records/purge-schedule';
import { pruneTokenState, retentionHorizonMs } from './token-retention';
import { pruneExpiredAuthorizations } from './authorization-requests';
import { createAuthorizeThrottle } from './authorize-throttle';

/** Test seams, as the access wiring has them (the sign-in is the same code, with the same seams). */
export interface SmartWiringOptions {
  clock?: () => Date;
  sendLoginCode?: LoginCodeSender;
  verifyLoginPassword?: PatientLoginOptions['verifyPassword'];
  onLogin?: AuthRoutesOptions['onLogin'];
}

/**
 * The patient web space (`/portal/`, src/portal) is a public SMART client of this server, registered at its public URL
 * (BASE_URL). Without BASE_URL it is reachable in development only, as any loopback client under DEV_AUTH=1.
 */
function builtInClients(baseUrl: string | undefined): SmartClient[] {
  if (!baseUrl) return [];
  return [{
    clientId: PORTAL_CLIENT_ID,
    type: 'public',
    authMethod: 'none',
    redirectUris: [`${baseUrl.replace(/\/+$/, '')}/portal/callback`],
    scopes: PORTAL_SCOPE.split(' '),
    grantTypes: ['authorization_code', 'refresh_token'],
  }];
}

/**
 * Mounts the SMART authorization server (issue 15): CORS first (before every other route, so that preflights of
 * the FHIR API are answered without a token), discovery, the authorization endpoint and its pages, token and
 * revocation. Throws at start-up on a bad SMART_CLIENTS, naming the client and the key.
 */
export async function smartWiring(deps: WiringDeps, options: SmartWiringOptions = {}): Promise<Wiring> {
  const auth = loadAuthConfig(deps.env, deps.config.dataDir);
  const config = loadSmartConfig(deps.env);
  const registry = loadClientRegistry(deps.env, { devAuth: auth.devAuth, builtIn: builtInClients(deps.config.baseUrl) });
  // A backend client's assertion names the token URL; derived from the Host header, it would let an assertion
  // made for another server be replayed here with a forged Host. Production needs the configured URL.
  if (!deps.config.baseUrl && !auth.devAuth && registry.clients.some((c) => c.authMethod === 'private_key_jwt')) {
    throw new Error('SMART_CLIENTS registers private_key_jwt clients: set BASE_URL (the public URL their assertions name as aud)');
  }
  // Same key and same sign-in code as POST /auth/login (src/auth): one implementation of passwords, codes, locks.
  const key = await loadSigningKey(auth.login.keyFile, auth.login.keyJwk, 'login');
  const clock = options.clock ?? (() => new Date());
  // The sign-in, its per-address throttle and the authorization server's tables (SmartStore) are system work (no actor
  // yet): they hold the named system repository.
  const system = new SystemRepository(deps.db);
  const login = createPatientLogin({
    system,
    config: auth.login,
    sendCode: options.sendLoginCode ?? queueLoginCode,
    issueToken: async () => {
      throw new Error('the SMART pages issue no sign-in token');
    },
    clock,
    verifyPassword: options.verifyLoginPassword,
  });
  const smart: SmartDeps = {
    store: createSmartStore(system), registry, config, audience: auth.audience, key, login, clock,
    fhirBasePath: deps.config.fhirBasePath, baseUrl: deps.config.baseUrl, devAuth: auth.devAuth, onLogin: options.onLogin,
  };
  const horizonMs = retentionHorizonMs({
    accessTokenTtlS: config.accessTokenTtl,
    loginTokenTtlS: auth.login.tokenTtl,
    externalTokenTtlS: Math.max(auth.devAuth ? auth.devTokenMaxLifetime : 0, ...auth.issuers.map((i) => i.maxTokenLifetime ?? 0)),
  });
  let pruning: PurgeSchedule | undefined;
  if (registry.clients.length) deps.logger.info(`SMART clients: ${registry.clients.map((c) => c.clientId).join(', ')}`, { clients: registry.clients.map((c) => c.clientId) });
  return {
    // The FHIR base URL is BASE_URL (or the request's) + FHIR_BASE_PATH; the authorization server sits beside it.
    oauthUris: (fhirBaseUrl) => {
      const root = fhirBaseUrl.slice(0, fhirBaseUrl.length - deps.config.fhirBasePath.length);
      return { authorize: `${root}/auth/authorize`, token: `${root}/auth/token`, revoke: `${root}/auth/revoke` };
    },
    routes: (app: Express) => {
      app.use(corsMiddleware(originPolicy({ origins: [...config.corsOrigins, ...registry.redirectOrigins()], devAuth: auth.devAuth })));
      mountDiscovery(app, smart);
      // The sign-in forms count failed guesses per client address with the JSON sign-in's counter (source-throttle.ts).
      mountSourceThrottle(app, deps.env, new SourceHitStore(system));
      // Each authorization request may keep a pending row: counted per client address, the endpoint only (authorize-throttle.ts).
      const authorizeThrottle = createAuthorizeThrottle(config, new SourceHitStore(system, undefined, 'authorize:'));
      app.get('/auth/authorize', authorizeThrottle);
      app.post('/auth/authorize', authorizeThrottle);
      mountAuthorizeRoutes(app, smart);
      mountTokenRoutes(app, smart);
    },
    // Expired token cut-offs, dead refresh families and expired authorization requests are deleted every
    // TOKEN_PRUNE_INTERVAL_MS (token-retention.ts, authorization-requests.ts).
    start: () => {
      pruning = schedulePurge({
        intervalMs: config.pruneIntervalMs,
        run: async () => {
          const now = clock();
          await pruneTokenState(system, { now, horizonMs, familyTtlMs: config.refreshFamilyTtl * 1000, logger: deps.logger });
          // Pending authorizations past SMART_AUTHORIZE_TTL give nothing (loadAuthorization refuses them): deleted.
          const authorizations = await pruneExpiredAuthorizations(system, now);
          if (authorizations) deps.logger.info('token retention: expired authorization requests deleted', { authorizations });
        },
        logger: deps.logger,
        name: 'token retention',
      });
    },
    close: async () => {
      await pruning?.stop();
    },
  };
}
