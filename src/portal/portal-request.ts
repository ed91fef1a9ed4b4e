import type { Request, Response } from 'express';
import { PortalFhir } from './fhir-client';
import { SESSION_COOKIE, type PortalSession, type SessionSealer } from './session';

/** Settings of the portal, fixed at composition. */
export interface PortalOptions {
  sealer: SessionSealer;
  /** The FHIR API's path on this server (`/fhir`). */
  fhirBasePath: string;
  /** Configured public base URL (redirect URIs, links); default: derived from each request. */
  baseUrl?: string;
  /** SMART client id of the portal. */
  clientId: string;
  /** Session lifetime in seconds (the cookie; tokens inside may be refreshed meanwhile). */
  sessionSeconds: number;
  /** Cookies sent only over HTTPS (on unless the public URL is plain http, e.g. in development). */
  secureCookies: boolean;
}

/** The public origin of the portal, for redirect URIs: the configured base URL, else the request's own. */
export function publicBase(o: PortalOptions, req: Request): string {
  return (o.baseUrl ?? `${req.protocol}://${req.get('host')}`).replace(/\/+$/, '');
}

/**
 * This server's own address as the portal calls it: the socket the request came in on, never the Host header (a
 * caller could point it elsewhere and receive the patient's token).
 */
export function loopbackBase(req: Request): string {
  const address = req.socket.localAddress ?? '127.0.0.1';
  const host = address.includes(':') && !address.startsWith('::ffff:') ? `[${address}]` : address.replace(/^::ffff:/, '');
  return `http://${host}:${req.socket.localPort}`;
}

export function cookie(req: Request, name: string): string | undefined {
  const header = req.headers.cookie ?? '';
  for (const part of header.split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k !== name) continue;
    // Not valid percent-encoding (`%E0%A4%A`): no cookie of ours, undefined as a missing one, never a 500.
    try {
      return decodeURIComponent(v.join('='));
    } catch {
      return undefined;
    }
  }
  return undefined;
}

export function setCookie(o: PortalOptions, res: Response, name: string, value: string, maxAgeSeconds: number): void {
  res.cookie(name, value, { httpOnly: true, sameSite: 'lax', secure: o.secureCookies, path: '/portal', maxAge: maxAgeSeconds * 1000 });
}

export function clearCookie(o: PortalOptions, res: Response, name: string): void {
  res.clearCookie(name, { httpOnly: true, sameSite: 'lax', secure: o.secureCookies, path: '/portal' });
}

/** One request of a signed-in patient: his session and a FHIR client acting with his token. */
export interface PortalCall {
  session: PortalSession;
  /** This server's FHIR base as the portal calls it (loopback). */
  fhirBase: string;
  fhir: PortalFhir;
  path: string;
}

export async function loadSession(o: PortalOptions, req: Request): Promise<PortalSession | undefined> {
  const session = await o.sealer.open<PortalSession>(cookie(req, SESSION_COOKIE));
  if (!session || session.expiresAt * 1000 <= Date.now()) return undefined;
  return session;
}

export function portalCall(o: PortalOptions, req: Request, session: PortalSession): PortalCall {
  const fhirBase = `${loopbackBase(req)}${o.fhirBasePath}`;
  return { session, fhirBase, fhir: new PortalFhir(fhirBase, session.accessToken), path: req.path === '/' ? '/portal/' : `/portal${req.path}` };
}

/** Headers of every portal page: nothing loaded from elsewhere, no framing by others, no caching of health data. */
export function securityHeaders(res: Response): void {
  res.setHeader('Content-Security-Policy', "default-src 'self'; script-src 'none'; object-src 'self'; frame-src 'self'; frame-ancestors 'self'; base-uri 'none'; form-action 'self'");
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('Cache-Control', 'no-store');
}
