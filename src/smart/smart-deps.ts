import type { Request } from 'express';
import type { AuthRoutesOptions } from '../auth/auth-routes';
import type { DevKey } from '../auth/dev-key';
import type { PatientLogin } from '../auth/patient-login';
import type { ClientRegistry } from './client-registry';
import type { SmartConfig } from './smart-config';
import type { SmartStore } from './smart-store';

/** What the SMART routes share: their store (no connection), clients, settings, this server's signing key, the sign-in. */
export interface SmartDeps {
  store: SmartStore;
  registry: ClientRegistry;
  config: SmartConfig;
  /** Audience of access tokens (what the token verifier expects: AUTH_AUDIENCE). */
  audience: string;
  /** The key access and id tokens are signed with (the sign-in issuer's, published at /auth/jwks). */
  key: DevKey;
  login: PatientLogin;
  clock: () => Date;
  fhirBasePath: string;
  /** Configured public base URL (BASE_URL); default: derived from each request. */
  baseUrl?: string;
  devAuth: boolean;
  onLogin?: AuthRoutesOptions['onLogin'];
}

/** This server's public base URL, without trailing slash. */
export function baseOf(req: Request, deps: Pick<SmartDeps, 'baseUrl'>): string {
  return (deps.baseUrl ?? `${req.protocol}://${req.get('host')}`).replace(/\/+$/, '');
}

/** The FHIR base URL (what an app's `aud` must name). */
export function fhirBaseOf(req: Request, deps: Pick<SmartDeps, 'baseUrl' | 'fhirBasePath'>): string {
  return `${baseOf(req, deps)}${deps.fhirBasePath}`;
}

/** A request parameter given exactly once as a non-empty string (a repeated one is refused: RFC 6749 §3.1). */
export function param(source: unknown, name: string): string | undefined {
  const value = (source as Record<string, unknown> | undefined)?.[name];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** True when the parameter was sent more than once (parsers give an array). */
export function repeated(source: unknown, name: string): boolean {
  return Array.isArray((source as Record<string, unknown> | undefined)?.[name]);
}
