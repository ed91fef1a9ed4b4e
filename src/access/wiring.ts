import { loadAuthConfig } from '../auth/auth-config';
import { mountAuthRoutes, type AuthRoutesOptions } from '../auth/auth-routes';
import { loadDevKey, loadSigningKey } from '../auth/dev-key';
import { mintLoginToken } from '../auth/mint-token';
import { createPatientLogin, type LoginCodeSender, type PatientLoginOptions } from '../auth/patient-login';
import { createTokenVerifier } from '../auth/token-verifier';
import { queueLoginCode } from '../notify/login-code';
import type { Wiring, WiringDeps } from '../wiring';
import { createAccessHooks } from './access-hooks';
import { everythingOperation } from './everything-operation';

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
}

/**
 * Plugs authentication and consent-based access into the app: bearer-token verification (configured issuers;
 * the development key only when none is configured; the patient sign-in issuer for patient tokens), the access
 * hooks, `Patient/{id}/$everything`, SMART discovery, JWKS and the patient sign-in routes.
 */
export async function accessWiring(deps: WiringDeps, options: AccessWiringOptions = {}): Promise<Wiring> {
  const auth = loadAuthConfig(deps.env, deps.config.dataDir);
  const devKey = auth.issuers.length ? undefined : await loadDevKey(auth);
  const loginKey = await loadSigningKey(auth.login.keyFile, auth.login.keyJwk, 'login');
  const verifyToken = createTokenVerifier(auth, devKey, loginKey);
  const clock = options.clock;
  const login = createPatientLogin({
    db: deps.db,
    config: auth.login,
    sendCode: options.sendLoginCode ?? queueLoginCode,
    issueToken: (patientId) => mintLoginToken(auth, loginKey, patientId),
    clock,
    verifyPassword: options.verifyLoginPassword,
  });
  if (devKey) deps.logger.warn('development token issuer is trusted (no AUTH_ISSUERS configured): never run like this in production', {});
  return {
    hooks: [createAccessHooks({ db: deps.db, verifyToken, clock, actorCacheMs: auth.actorCacheMs })],
    operations: [everythingOperation],
    routes: (app) =>
      mountAuthRoutes(app, {
        auth,
        db: deps.db,
        login,
        verifyToken,
        publicKeys: devKey ? [devKey, loginKey] : [loginKey],
        fhirBasePath: deps.config.fhirBasePath,
        baseUrl: deps.config.baseUrl,
        onLogin: options.onLogin,
      }),
  };
}
