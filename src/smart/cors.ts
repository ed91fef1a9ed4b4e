import type { NextFunction, Request, Response } from 'express';

const ALLOW_METHODS = 'GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS';
const ALLOW_HEADERS = 'Authorization, Content-Type, Accept, Prefer, If-Match, If-None-Match, If-None-Exist, If-Modified-Since, X-Purpose-Of-Use, X-Purpose-Reason, X-Request-Id';
const EXPOSE_HEADERS = 'Location, Content-Location, ETag, Last-Modified, WWW-Authenticate, X-Request-Id, X-Activation-Code, Retry-After';

/** Which browser origins may call the API: configured ones, registered apps' origins, loopback in development. */
export function originPolicy(o: { origins: string[]; devAuth: boolean }): (origin: string) => boolean {
  const allowed = new Set(o.origins);
  return (origin) => allowed.has(origin) || (o.devAuth && /^http:\/\/(127\.0\.0\.1|\[::1\]|localhost)(:\d+)?$/.test(origin));
}

/**
 * CORS for the FHIR API, the token and revocation endpoints and the discovery documents (Fetch standard): a
 * preflight is answered here, before authentication (it never carries a token, so it must not get 401); an
 * allowed origin is echoed, never `*`, and no credentials (cookies) are allowed: the API works by bearer token.
 * The sign-in pages are not for scripts: they get no CORS headers.
 */
export function corsMiddleware(allows: (origin: string) => boolean) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const origin = req.headers.origin;
    if (!origin || req.path.startsWith('/auth/authorize')) return next();
    res.vary('Origin');
    const ok = allows(origin);
    const preflight = req.method === 'OPTIONS' && req.headers['access-control-request-method'] !== undefined;
    if (ok) {
      res.setHeader('Access-Control-Allow-Origin', origin);
      res.setHeader('Access-Control-Expose-Headers', EXPOSE_HEADERS);
    }
    if (!preflight) return next();
    if (ok) {
      res.setHeader('Access-Control-Allow-Methods', ALLOW_METHODS);
      res.setHeader('Access-Control-Allow-Headers', ALLOW_HEADERS);
      res.setHeader('Access-Control-Max-Age', '600');
    }
    // An origin not allowed gets an answer without permission: the browser stops there.
    res.status(204).end();
  };
}
