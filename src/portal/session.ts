import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { EncryptJWT, jwtDecrypt } from '../auth/jose';

/** What the portal keeps between requests: the patient's tokens and which record is shown. */
export interface PortalSession {
  accessToken: string;
  refreshToken?: string;
  /** Epoch seconds at which the access token expires. */
  expiresAt: number;
  /** The record shown (the signed-in patient's own, or a child's for a guardian). */
  patient: string;
  /** Anti-CSRF token every form posts back. */
  csrf: string;
}

/** A sign-in in progress: the PKCE verifier and state of one authorization request. */
export interface PendingSignIn {
  verifier: string;
  state: string;
  /** Where to go once signed in (a portal path). */
  next: string;
}

export const SESSION_COOKIE = 'dmp_portal';
export const PENDING_COOKIE = 'dmp_portal_signin';

/**
 * Loads the 256-bit key that encrypts the session cookie: PORTAL_SESSION_KEY (base64url) or a file in the data
 * directory created once (mode 0600), so sessions survive a restart and several processes share it.
 */
export function loadSessionKey(env: NodeJS.ProcessEnv, dataDir: string): Uint8Array {
  const configured = env.PORTAL_SESSION_KEY;
  if (configured) {
    const key = Buffer.from(configured, 'base64url');
    if (key.length !== 32) throw new Error('PORTAL_SESSION_KEY must be 32 bytes, base64url-encoded');
    return key;
  }
  const file = path.join(dataDir, 'portal-session.key');
  try {
    return Buffer.from(readFileSync(file, 'utf8').trim(), 'base64url');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  mkdirSync(dataDir, { recursive: true });
  try {
    writeFileSync(file, randomBytes(32).toString('base64url'), { mode: 0o600, flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  return Buffer.from(readFileSync(file, 'utf8').trim(), 'base64url');
}

/**
 * Session and sign-in state live in encrypted, authenticated cookies (JWE, A256GCM): the browser holds them but can
 * neither read the tokens inside nor alter them, and no server-side table is needed. They are first-party,
 * HttpOnly and SameSite=Lax, so the portal works without third-party cookies.
 */
export class SessionSealer {
  constructor(private readonly key: Uint8Array) {}

  async seal(payload: object, ttlSeconds: number): Promise<string> {
    return new EncryptJWT({ ...payload }).setProtectedHeader({ alg: 'dir', enc: 'A256GCM' }).setIssuedAt().setExpirationTime(`${ttlSeconds}s`).encrypt(this.key);
  }

  /** The payload, or undefined when the cookie is absent, altered, sealed by another key or expired. */
  async open<T>(sealed: string | undefined): Promise<T | undefined> {
    if (!sealed) return undefined;
    try {
      const { payload } = await jwtDecrypt(sealed, this.key);
      return payload as unknown as T;
    } catch {
      return undefined;
    }
  }
}

export function newCsrf(): string {
  return randomBytes(18).toString('base64url');
}
