import { type AuthConfig, loadAuthConfig, trustsDevIssuer } from '../auth/auth-config';
import { mountAccountRoutes, type AccountEventListener } from '../auth/account-routes';
import { createActivation, type AccountNoticeSender } from '../auth/activation';
import { mountAuthRoutes, type AuthRoutesOptions } from '../auth/auth-routes';
import { mountSourceThrottle } from '../auth/source-throttle';
import { SourceHitStore } from '../auth/source-hits';
import { loadDevKey, loadSigningKey } from '../auth/dev-key';
import { mintLoginToken } from '../auth/mint-token';
import { createPatientLogin, setPatientCredential, type LoginCodeSender, type PatientLoginOptions } from '../auth/patient-login';
import { createPasswordReset } from '../auth/password-reset';
import { createTokenVerifier } from '../auth/token-verifier';
import { TokenCutoffs } from '../auth/token-cutoffs';
import { queueAccountNotice } from '../notify/account-notices';
import { queueLoginCode } from '../notify/login-code';
import type { Logger } from '../logger';
import type { Wiring, WiringDeps } from '../wiring';
import { createAccessHooks } from './access-hooks';
import { resolveActor } from './resolve-actor';
import { ActorResolver } from './actor-resolver';
import { createActivationHooks } from './activation-hooks';
import { declaredEntriesHook } from './declared-entries';
import { ownRoleCreatesHook } from './own-roles';
import { createRecordCreatedNoticeHooks } from './record-created-notice';
import { nonReaderAnswersHook } from './non-reader-answers';
import { changeContactOperation } from './change-contact-operation';
import { confirmContactOperation } from './confirm-contact-operation';
import { everythingOperation } from './everything-operation';
import { insEntryHook } from './ins-entry-check';
import { loadInsSystemsPolicy } from '../validation/ins-test-systems';
import { issueActivationOperation } from './issue-activation-operation';
import { openMinorRecordOperation } from './open-minor-record-operation';
import { sourceDocumentGuard } from './source-document-guard';
import { updateIdentityOperation } from './update-identity-operation';
import { loadNotifyConfig } from '../notify/notify-config';
import { ownTransactionsOf, statementsOf, SystemRepository } from '../system/system-repository';
import { noticeConsentsWithoutEffect } from './consents-without-effect-notice';

/**
 * Test seams of the access wiring: a clock, the sender of sign-in codes (default: the notification outbox), and the
 * password check of the sign-in (default: scrypt).
 */
export interface AccessWiringOptions {
  clock?: () => Date;
  sendLoginCode?: LoginCodeSender;
  verifyLoginPassword?: PatientLoginOptions['verifyPassword'];
  /** Told of every patient sign-in outcome (the audit trail records logins). */
  onLogin?: AuthRoutesOptions['onLogin'];
  /** Told of every activation, password reset and contact change (the audit trail records them). */
  onAccountEvent?: AccountEventListener;
  /** Sender of account notices (default: the notification outbox). */
  sendAccountNotice?: AccountNoticeSender;
  /** Cheaper scrypt parameters for tests (activation, reset). */
  scrypt?: { N: number; r: number; p: number };
}

/** The start-up warning of development mode (tests look for it). */
export const DEV_MODE_WARNING = 'DEVELOPMENT MODE: tokens signed by the development key are trusted (DEV_AUTH=1) — never in production';

/** Says loudly, once at start-up, which token issuers this server trusts. */
function logTrustMode(logger: Logger, auth: AuthConfig): void {
  if (trustsDevIssuer(auth)) logger.warn(DEV_MODE_WARNING, { devIssuer: auth.devIssuer });
  if (auth.issuers.length) {
    logger.info(`production token issuers: ${auth.issuers.map((i) => i.issuer).join(', ')}`, { issuers: auth.issuers.map((i) => i.issuer) });
  } else if (!trustsDevIssuer(auth)) {
    logger.warn('no token issuer configured (AUTH_ISSUERS and DEV_AUTH unset): only patient sign-in tokens are trusted, every other bearer token gets 401', { loginIssuer: auth.login.issuer });
  }
}

/**
 * Plugs authentication and consent-based access into the app: bearer-token verification (configured issuers;
 * the development key only under DEV_AUTH=1; the patient sign-in issuer for patient tokens), the access hooks,
 * `Patient/{id}/$everything`, SMART discovery, JWKS and the patient sign-in routes. Throws when DEV_AUTH=1 meets
 * NODE_ENV=production (`loadAuthConfig`).
 */
export async function accessWiring(deps: WiringDeps, options: AccessWiringOptions = {}): Promise<Wiring> {
  const auth = loadAuthConfig(deps.env, deps.config.dataDir);
  const devKey = trustsDevIssuer(auth) ? await loadDevKey(auth) : undefined;
  const loginKey = await loadSigningKey(auth.login.keyFile, auth.login.keyJwk, 'login');
  const clock = options.clock;
  // Sign-in, activation and reset run before any actor exists: system work, given the named system repository.
  const system = new SystemRepository(deps.db);
  // Our own tokens die with the event that ends their right (issue 11); the cut-offs are read on the system repository.
  const cutoffs = new TokenCutoffs(system, { ttlMs: auth.tokenCutoffCacheMs, clock: clock ? () => clock().getTime() : undefined });
  const verifyToken = createTokenVerifier(auth, devKey, loginKey, cutoffs);
  const login = createPatientLogin({
    system,
    config: auth.login,
    sendCode: options.sendLoginCode ?? queueLoginCode,
    issueToken: (patientId) => mintLoginToken(auth, loginKey, patientId),
    clock,
    verifyPassword: options.verifyLoginPassword,
  });
  logTrustMode(deps.logger, auth);
  // Resolving a token's actor (directory keys, compartments) is system work done before any access is decided: the
  // access hooks and `resolveCaller` get it on the system repository, never the raw connection.
  const actors = new ActorResolver(system, { ttlMs: auth.actorCacheMs });
  const send = options.sendAccountNotice ?? queueAccountNotice;
  const onEvent = options.onAccountEvent;
  let reviewing: Promise<unknown> | undefined;
  return {
    // One-off work of migration 219: the patients with access choices stored in a form without effect are told once.
    // In the background (start-up stays quick); a failure is logged and the rest is left for the next start.
    start: () => {
      reviewing = noticeConsentsWithoutEffect(system, { recordUrl: loadNotifyConfig(deps.env).recordUrl, now: clock ?? (() => new Date()), logger: deps.logger })
        .catch((err: unknown) => deps.logger.error(`telling patients of consents without effect failed: ${(err as Error).message}`, { err }));
    },
    close: async () => {
      await reviewing;
    },
    hooks: [createAccessHooks({ actors, verifyToken, clock }), insEntryHook(loadInsSystemsPolicy(deps.env)), sourceDocumentGuard(), declaredEntriesHook(), ownRoleCreatesHook(), createActivationHooks({ send, clock }), createRecordCreatedNoticeHooks({ recordUrl: loadNotifyConfig(deps.env).recordUrl, clock }), nonReaderAnswersHook()],
    operations: [everythingOperation, updateIdentityOperation({ recordUrl: loadNotifyConfig(deps.env).recordUrl, clock, connection: statementsOf }), openMinorRecordOperation({ recordUrl: loadNotifyConfig(deps.env).recordUrl, clock, connection: statementsOf, ownTransactions: ownTransactionsOf }), issueActivationOperation({ clock, connection: statementsOf, send, onEvent }), changeContactOperation({ send, clock, connection: statementsOf }), confirmContactOperation({ send, clock, onEvent, connection: statementsOf })],
    routes: (app) => {
      // Before the routes: failed guesses of a password or code are counted per client address (source-throttle.ts).
      mountSourceThrottle(app, deps.env, new SourceHitStore(system));
      mountAccountRoutes(app, {
        activate: createActivation({ system, clock, scrypt: options.scrypt }),
        reset: createPasswordReset({ system, send, clock, scrypt: options.scrypt }),
        onEvent,
      });
      mountAuthRoutes(app, {
        auth,
        login,
        resolveCaller: async (authorization) => resolveActor(system, await verifyToken(authorization)),
        setPassword: (input) => setPatientCredential(system, input),
        publicKeys: devKey ? [devKey, loginKey] : [loginKey],
        fhirBasePath: deps.config.fhirBasePath,
        baseUrl: deps.config.baseUrl,
        onLogin: options.onLogin,
      });
    },
  };
}
