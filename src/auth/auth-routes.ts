import express, { type Express, type Request } from 'express';
import { refusedAccountOf } from './refused-account';
import { badRequest, FhirError, forbidden } from '../fhir/errors';
import type { RequestContext } from '../fhir/context';
import { newContext } from '../http/fhir-endpoint';
import type { DevKey } from './dev-key';
import type { AuthConfig } from './auth-config';
import type { PatientLogin } from './patient-login';
import type { DmpActor } from '../access/actor';
import { scopesAllow } from '../access/scopes';
import { assertAccountToken } from '../access/account-token';

/**
 * What the sign-in routes may do, each a named capability built by the wiring: these routes face the Internet, so
 * they hold no database connection of their own (test/unit/architecture/internet-routes.test.ts).
 */
export interface AuthRoutesOptions {
  auth: AuthConfig;
  login: PatientLogin;
  /** The caller of `Authorization: Bearer …`, verified and resolved (401 when the token is not trusted). */
  resolveCaller: (authorization: string | undefined) => Promise<DmpActor>;
  /** Sets (or replaces) the sign-in identifier and password of a record (the password policy applies: 422). */
  setPassword: (input: { login: string; patientId: string; password: string }) => Promise<void>;
  /** Public keys this server signs with (development issuer when trusted, patient sign-in issuer). */
  publicKeys: DevKey[];
  fhirBasePath: string;
  /** Configured public base URL; default: derived from each request. */
  baseUrl?: string;
  /** Told of every sign-in outcome (the audit trail records logins). */
  onLogin?: (ctx: RequestContext, info: { patientId?: string; success: boolean; reason?: string }) => Promise<void>;
}

/** Runs a sign-in step and reports its outcome (success with the patient, or the refusal's reason). */
export async function reported<T extends object>(o: Pick<AuthRoutesOptions, 'onLogin'>, req: Request, res: express.Response, step: () => Promise<T>, final: boolean): Promise<T> {
  const ctx = newContext(req, String(res.locals.requestId));
  try {
    const result = await step();
    if (final) await o.onLogin?.(ctx, { patientId: (result as { patient?: string }).patient, success: true });
    return result;
  } catch (err) {
    await o.onLogin?.(ctx, { success: false, patientId: refusedAccountOf(err), reason: err instanceof FhirError ? err.message : 'sign-in failed' });
    throw err;
  }
}

function field(req: Request, name: string): string {
  const value = (req.body as Record<string, unknown> | undefined)?.[name];
  if (typeof value !== 'string' || !value) throw badRequest(`"${name}" is required (JSON or form body)`);
  return value;
}

/**
 * Routes outside the FHIR API that need no token: the JWKS of the keys this server signs with, and the patient
 * sign-in as JSON (`/auth/login`, `/auth/otp`). SMART discovery and authorization live in `src/smart`. Setting a
 * password (`PUT /auth/password`) needs the patient's own bearer token.
 */
export function mountAuthRoutes(app: Express, o: AuthRoutesOptions): void {
  app.get('/auth/jwks', (_req, res) => {
    res.json({ keys: o.publicKeys.map((k) => ({ ...k.publicJwk, kid: k.kid })) });
  });
  const body = [express.json({ limit: '16kb' }), express.urlencoded({ extended: false, limit: '16kb' })];
  app.post('/auth/login', ...body, async (req, res) => {
    const started = await reported(o, req, res, () => o.login.start(field(req, 'identifier'), field(req, 'password')), false);
    res.status(200).json({ challenge: started.challenge, expires_at: started.expiresAt, message: 'Un code de connexion a été envoyé à votre adresse e-mail ou à votre téléphone mobile.' });
  });
  app.post('/auth/otp', ...body, async (req, res) => {
    const token = await reported(o, req, res, () => o.login.exchange(field(req, 'challenge'), field(req, 'code')), true);
    res.setHeader('Cache-Control', 'no-store');
    res.json({ access_token: token.accessToken, token_type: 'Bearer', expires_in: token.expiresIn, patient: token.patient, scope: 'openid fhirUser patient/*.cruds' });
  });
  app.put('/auth/password', ...body, async (req, res) => {
    const actor = await o.resolveCaller(req.headers.authorization);
    const patientId = (req.body as { patient?: string })?.patient ?? actor.patientIds[0];
    if (actor.kind !== 'patient' || !patientId || !actor.patientIds.includes(patientId)) throw forbidden('Only the patient may set the password of his own record');
    // The account's credentials are the patient's own: an application he let read (or even write) his record does not
    // set them. Before, any patient token did — a lab app granted patient/Observation.rs replaced his identifier and
    // password, locking him out and ending his sessions.
    assertAccountToken(actor, 'set the password of the record');
    if (!scopesAllow(actor.scopes, 'u', 'Patient')) throw forbidden('The token\'s scopes do not grant update on Patient');
    await o.setPassword({ login: field(req, 'identifier'), patientId, password: field(req, 'password') });
    res.status(204).end();
  });
}
