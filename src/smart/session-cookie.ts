import type { Request, Response } from 'express';

/** The sign-in session's cookie (src/smart/sign-in-sessions.ts). */
export const SESSION_COOKIE = 'dmp_sso';
/**
 * Sent only to the authorization endpoint and its forms: no other route (FHIR API, token, portal) ever receives it,
 * and the portal cannot read it either.
 */
const SESSION_PATH = '/auth/authorize';

/**
 * A cookie of the request, by name (the sign-in pages parse no other cookie library). A value that is not valid
 * percent-encoding (`%E0%A4%A`) is no cookie of ours: undefined, as a missing one (decodeURIComponent threw, a 500).
 */
export function cookieOf(req: Request, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return decodedCookie(part.slice(eq + 1).trim());
  }
  return undefined;
}

/** A cookie value percent-decoded, or undefined when it is not valid percent-encoding. */
function decodedCookie(value: string): string | undefined {
  try {
    return decodeURIComponent(value);
  } catch {
    return undefined;
  }
}

/** Over HTTPS (seen by this server, or the public URL behind a proxy), the cookie never travels in clear. */
export const secureOf = (req: Request, baseUrl: string | undefined): boolean => req.secure || !!baseUrl?.startsWith('https://');

/**
 * Sets the session cookie: HttpOnly (no script reads it), SameSite=Lax. Lax, not Strict: an app sends the browser
 * to /auth/authorize by a top-level GET from its own site, and Strict would leave the cookie behind on exactly that
 * navigation. Lax lets another site do no more than open the authorization pages, which still ask the record
 * choice and the consent of the person in front of the screen (the forms post only with the per-request Strict
 * cookie, their CSRF token and our Origin); a cross-site POST or a frame never carries it.
 */
export function setSessionCookie(req: Request, res: Response, o: { secret: string; ttl: number; baseUrl?: string }): void {
  res.cookie(SESSION_COOKIE, o.secret, { httpOnly: true, sameSite: 'lax', secure: secureOf(req, o.baseUrl), path: SESSION_PATH, maxAge: o.ttl * 1000 });
}

/** Forgets the session cookie (the session is dead server-side anyway). */
export function clearSessionCookie(req: Request, res: Response, baseUrl: string | undefined): void {
  res.clearCookie(SESSION_COOKIE, { httpOnly: true, sameSite: 'lax', secure: secureOf(req, baseUrl), path: SESSION_PATH });
}
