/** Settings of the SMART authorization server (environment keys in parentheses). */
export interface SmartConfig {
  /** Lifetime of an authorization code, seconds (SMART_CODE_TTL, default 60: RFC 6749 §4.1.2 says ≤ 10 min). */
  codeTtl: number;
  /** Lifetime of access tokens, seconds (SMART_ACCESS_TOKEN_TTL, default 900), kept short; a patient's or guardian's dies earlier with a new password, revoked credentials, the end of his link or its refresh family revoked (sign-out; `../auth/token-cutoffs.ts`). */
  accessTokenTtl: number;
  /** Lifetime of each refresh token, seconds (SMART_REFRESH_TOKEN_TTL, default 30 days); rotation renews it. */
  refreshTokenTtl: number;
  /**
   * Longest lifetime of a refresh family (one sign-in of one app) however often it rotates, seconds
   * (SMART_REFRESH_FAMILY_TTL, default 90 days, at most a year): then the app signs in again (`refresh-tokens.ts` familyEnd).
   */
  refreshFamilyTtl: number;
  /** How long a patient has to sign in and consent, seconds (SMART_AUTHORIZE_TTL, default 600). */
  authorizeTtl: number;
  /**
   * Authorization requests (GET or POST /auth/authorize) one client address may make per window, each of which may keep
   * a pending row for `authorizeTtl` (SMART_AUTHORIZE_SOURCE_LIMIT, default 300; `authorize-throttle.ts`).
   */
  authorizeSourceLimit: number;
  /** Window of `authorizeSourceLimit`, seconds (SMART_AUTHORIZE_SOURCE_WINDOW_SECONDS, default 900, at most a day). */
  authorizeSourceWindow: number;
  /** Absolute lifetime of a sign-in session (the cookie that spares the password), seconds (SMART_SESSION_TTL, default 1800). */
  sessionTtl: number;
  /** A sign-in session unused for this long ends, seconds (SMART_SESSION_IDLE, default 900; never beyond sessionTtl). */
  sessionIdle: number;
  /** Longest lifetime accepted for a client assertion, seconds (SMART 2.x Backend Services: five minutes). */
  assertionMaxTtl: number;
  /** Extra origins allowed to call the API from a browser (CORS_ORIGINS, comma-separated). */
  corsOrigins: string[];
  /** How often expired token cut-offs and refresh families are deleted, ms (TOKEN_PRUNE_INTERVAL_MS, default hourly; 0 = never). */
  pruneIntervalMs: number;
}

export { SMART_ISSUER } from '../auth/auth-config';

function seconds(env: NodeJS.ProcessEnv, name: string, fallback: number, max: number): number {
  const n = Number(env[name] || fallback);
  if (!Number.isInteger(n) || n <= 0 || n > max) throw new Error(`${name} must be a whole number of seconds from 1 to ${max}`);
  return n;
}

function count(env: NodeJS.ProcessEnv, name: string, fallback: number, max: number): number {
  const n = Number(env[name] || fallback);
  if (!Number.isInteger(n) || n <= 0 || n > max) throw new Error(`${name} must be a whole number from 1 to ${max}`);
  return n;
}

function interval(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const n = Number(env[name] || fallback);
  if (!Number.isInteger(n) || n < 0 || n > 2_147_483_647) throw new Error(`${name} must be a whole number of milliseconds from 0 (never) to 2147483647`);
  return n;
}

/** Reads the SMART settings; throws on a bad value, naming the key. */
export function loadSmartConfig(env: NodeJS.ProcessEnv): SmartConfig {
  const corsOrigins = (env.CORS_ORIGINS ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  for (const origin of corsOrigins) {
    let ok = false;
    try {
      ok = new URL(origin).origin === origin;
    } catch {
      ok = false;
    }
    // An origin is scheme://host[:port], nothing more; a wildcard would open the API to every site.
    if (!ok) throw new Error(`CORS_ORIGINS: "${origin}" is not an origin (scheme://host[:port], no path, no wildcard)`);
  }
  return {
    codeTtl: seconds(env, 'SMART_CODE_TTL', 60, 600),
    accessTokenTtl: seconds(env, 'SMART_ACCESS_TOKEN_TTL', 900, 86_400),
    refreshTokenTtl: seconds(env, 'SMART_REFRESH_TOKEN_TTL', 30 * 86_400, 365 * 86_400),
    refreshFamilyTtl: seconds(env, 'SMART_REFRESH_FAMILY_TTL', 90 * 86_400, 365 * 86_400),
    authorizeTtl: seconds(env, 'SMART_AUTHORIZE_TTL', 600, 3600),
    authorizeSourceLimit: count(env, 'SMART_AUTHORIZE_SOURCE_LIMIT', 300, 1_000_000),
    authorizeSourceWindow: seconds(env, 'SMART_AUTHORIZE_SOURCE_WINDOW_SECONDS', 900, 86_400),
    // Short: a browser left signed in at a pharmacy or a family computer must not open the record for long.
    sessionTtl: seconds(env, 'SMART_SESSION_TTL', 1800, 12 * 3600),
    sessionIdle: seconds(env, 'SMART_SESSION_IDLE', 900, 12 * 3600),
    assertionMaxTtl: 300,
    corsOrigins,
    pruneIntervalMs: interval(env, 'TOKEN_PRUNE_INTERVAL_MS', 3_600_000),
  };
}
