import type { Request, RequestHandler, Response } from 'express';
import { rateLimit, type Store } from 'express-rate-limit';

/** Failed sign-in steps allowed per client address and window (SIGNIN_SOURCE_LIMIT, SIGNIN_SOURCE_WINDOW_SECONDS). */
export interface SourceThrottleConfig {
  limit: number;
  windowSeconds: number;
}

/**
 * The paths that check a secret a stranger could guess (password, one-time code, activation or reset code), and
 * `PUT /auth/password`, whose 409 « identifiant déjà utilisé » tells a signed-in patient that an identifier exists:
 * counted, a walk through guessed identifiers stops at the limit like a password spray.
 */
export const GUESSED_SECRET_PATHS: readonly string[] = Object.freeze([
  '/auth/login', '/auth/otp', '/auth/activate', '/auth/reset', '/auth/reset/confirm', '/auth/authorize/login', '/auth/authorize/code', '/auth/password',
]);

function positiveInt(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const n = Number(env[name] || fallback);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${name} must be a positive integer`);
  return n;
}

/**
 * Defaults: 100 failures per 15 minutes per address. The per-identifier lock (LOGIN_MAX_FAILURES) stops guessing one
 * account's password; this stops one address from trying one common password on thousands of identifiers (password
 * spraying) or walking activation codes. High enough for a hospital or a mobile carrier putting many patients
 * behind one address: only failures count, and a patient fails a few times at most.
 */
export function loadSourceThrottleConfig(env: NodeJS.ProcessEnv): SourceThrottleConfig {
  return { limit: positiveInt(env, 'SIGNIN_SOURCE_LIMIT', 100), windowSeconds: positiveInt(env, 'SIGNIN_SOURCE_WINDOW_SECONDS', 900) };
}

const MESSAGE = 'Trop de tentatives de connexion ont échoué depuis votre adresse réseau.';

function refuse(req: Request, res: Response, retryAfterSeconds: number): void {
  const minutes = Math.max(1, Math.ceil(retryAfterSeconds / 60));
  const advice = `Réessayez dans ${minutes} minute${minutes > 1 ? 's' : ''}.`;
  res.setHeader('Retry-After', String(retryAfterSeconds));
  res.setHeader('Cache-Control', 'no-store');
  // The authorization pages are HTML forms read by a person; the other paths are called by apps (JSON).
  if (req.originalUrl.startsWith('/auth/authorize')) {
    res.status(429).type('html').send(`<!doctype html><html lang="fr"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Trop de tentatives</title></head><body><main><h1>Trop de tentatives</h1><p role="alert">${MESSAGE} ${advice}</p></main></body></html>`);
    return;
  }
  res.status(429).json({ resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'throttled', diagnostics: `${MESSAGE} ${advice}` }] });
}

/**
 * One counter per client address (`req.ip`: the socket's, or the loopback proxy's X-Forwarded-For, app.ts) over every
 * path that checks a guessable secret: only failed answers (4xx) count (`skipFailedRequests` off, successes given
 * back), so a patient who signs in is never slowed. The count lives in `store`: the wiring gives the PostgreSQL one
 * (`source-hits.ts`), shared by every server process on the database; without one, express-rate-limit's memory store
 * (this process only). Build one per app and mount it on every such path.
 */
export function createSourceThrottle(config: SourceThrottleConfig, store?: Store): RequestHandler {
  return rateLimit({
    windowMs: config.windowSeconds * 1000,
    limit: config.limit,
    skipSuccessfulRequests: true,
    ...(store ? { store } : {}),
    // No RateLimit headers on ordinary answers: they would count down between two otherwise identical answers (a
    // known and an unknown identifier must answer byte for byte the same). The 429 carries Retry-After.
    standardHeaders: false,
    legacyHeaders: false,
    handler: (req, res) => {
      const reset = (req as Request & { rateLimit?: { resetTime?: Date } }).rateLimit?.resetTime;
      refuse(req, res, reset ? Math.max(1, Math.ceil((reset.getTime() - Date.now()) / 1000)) : config.windowSeconds);
    },
  });
}

const mounted = new WeakSet<object>();

/**
 * Mounts the app's one throttle on every path that checks a guessable secret, once per app: the JSON sign-in (access
 * wiring) and the authorization forms (SMART wiring) both ask for it, and share its counter (`store`: the shared
 * PostgreSQL count its wiring built, `SourceHitStore`).
 */
export function mountSourceThrottle(app: { use: (paths: string[], handler: RequestHandler) => unknown }, env: NodeJS.ProcessEnv, store?: Store): void {
  if (mounted.has(app)) return;
  mounted.add(app);
  app.use([...GUESSED_SECRET_PATHS], createSourceThrottle(loadSourceThrottleConfig(env), store));
}
