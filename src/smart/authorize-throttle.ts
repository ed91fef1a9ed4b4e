import type { Request, RequestHandler, Response } from 'express';
import { rateLimit, type Store } from 'express-rate-limit';
import { sendPage } from './html';
import { OAuthError, sendOAuthError } from './oauth-error';
import { errorPage } from './sign-in-pages';

/** Authorization requests allowed per client address and window (SMART_AUTHORIZE_SOURCE_LIMIT, _WINDOW_SECONDS). */
export interface AuthorizeThrottleConfig {
  authorizeSourceLimit: number;
  authorizeSourceWindow: number;
}

/** Whole minutes, at least one, for the French page. */
function minutesOf(seconds: number): string {
  const minutes = Math.max(1, Math.ceil(seconds / 60));
  return `${minutes} minute${minutes > 1 ? 's' : ''}`;
}

/**
 * The refusal: 429 with `Retry-After`. A browser (it asks for HTML first) reads a French page; an app or a script reads
 * the OAuth error `temporarily_unavailable` (RFC 6749 §4.1.2.1: the server is overloaded), never a redirect: sending it
 * back to the app would need a client checked, and the answer must not depend on who is named.
 */
function refuse(req: Request, res: Response, retryAfterSeconds: number): void {
  res.setHeader('Retry-After', String(retryAfterSeconds));
  if (req.accepts(['application/json', 'text/html']) === 'text/html') {
    return sendPage(res, 429, errorPage(`Trop de demandes de connexion ont été faites depuis votre adresse réseau. Réessayez dans ${minutesOf(retryAfterSeconds)}.`));
  }
  sendOAuthError(res, new OAuthError('temporarily_unavailable', `Too many authorization requests from this address: retry after ${retryAfterSeconds} seconds`, 429));
}

/**
 * The per-address limit of GET and POST /auth/authorize (issue 11). Every request there is answered before anyone signs
 * in, and one that passes the client's checks keeps a pending row (`smart_authorization`, up to 2 kB with its `state` and
 * `nonce`) for SMART_AUTHORIZE_TTL: with no limit, one address could fill the table for no one. Every request counts, a
 * refused one too: counting only those that kept a row would give a count back when the client hangs up before the
 * answer (express-rate-limit decrements on `close`), after the row was written. One counter per address (`req.ip`, an
 * IPv6 /56 as one, express-rate-limit's key) in `store`: the wiring gives the PostgreSQL one (`SourceHitStore` under the
 * prefix `authorize:`), shared by every server process on the database. So one address keeps at most about
 * limit × (SMART_AUTHORIZE_TTL / window + 1) pending rows; expired rows are deleted when a request opens and by the
 * retention job (`pruneExpiredAuthorizations`). Mount it on the authorization endpoint only, not on its forms (those
 * have the sign-in throttle, `../auth/source-throttle.ts`).
 */
export function createAuthorizeThrottle(config: AuthorizeThrottleConfig, store?: Store): RequestHandler {
  return rateLimit({
    windowMs: config.authorizeSourceWindow * 1000,
    limit: config.authorizeSourceLimit,
    ...(store ? { store } : {}),
    // No RateLimit headers on ordinary answers: they would tell a page apart from the next for nothing.
    standardHeaders: false,
    legacyHeaders: false,
    handler: (req, res) => {
      const reset = (req as Request & { rateLimit?: { resetTime?: Date } }).rateLimit?.resetTime;
      refuse(req, res, reset ? Math.max(1, Math.ceil((reset.getTime() - Date.now()) / 1000)) : config.authorizeSourceWindow);
    },
  });
}
