import path from 'node:path';
import { EXCLUDED_CATEGORIES, type DmpActorKind, type DmpRole, type OrganisationCategory } from '../access/actor';

/** A trusted token issuer: where its keys are, which audience and algorithms it must use. */
export interface IssuerConfig {
  issuer: string;
  /** JWKS as a file path or an https URL. */
  jwks: string;
  audience: string;
  algorithms: string[];
  /** Scopes assumed when the issuer's tokens carry none (e.g. Pro Santé Connect); absent = none (fail closed). */
  defaultScopes?: string[];
  /** What its tokens may name (required for a configured issuer: closed by default); absent only for our own issuers. */
  mints?: IssuerMints;
  /**
   * The longest lifetime (`exp` − `iat`, seconds) this issuer's tokens may have (default 3600, at most 86400); its tokens
   * must carry `iat`. Set for configured issuers only: a stolen token of theirs, or one an issuer minted for years, lives
   * no longer than this here, and the operator's cut-off (`npm run tokens:cut`) is kept at least that long.
   */
  maxTokenLifetime?: number;
}

/** Default and largest `maxTokenLifetime` of a configured issuer, seconds. */
export const DEFAULT_EXTERNAL_TOKEN_LIFETIME_S = 3600;
export const LONGEST_EXTERNAL_TOKEN_LIFETIME_S = 86_400;

function readMaxTokenLifetime(raw: unknown, where: string): number {
  if (raw === undefined) return DEFAULT_EXTERNAL_TOKEN_LIFETIME_S;
  if (typeof raw !== 'number' || !Number.isInteger(raw) || raw < 60 || raw > LONGEST_EXTERNAL_TOKEN_LIFETIME_S) {
    throw new Error(`${where}.maxTokenLifetime must be a whole number of seconds from 60 to ${LONGEST_EXTERNAL_TOKEN_LIFETIME_S}`);
  }
  return raw;
}

/**
 * What a configured issuer's tokens may name: actor kinds, organisation categories (a system token without one is a
 * `feeder`: declare it), and roles (`samu-regulator`, `identity-verifier`, `directory-admin`), each explicitly. A token
 * naming more answers 401: a Pro Santé Connect-like issuer trusted for professionals mints no patient, no feeder and no
 * directory administrator (issue 11, sweep 7).
 */
export interface IssuerMints {
  kinds: DmpActorKind[];
  categories: OrganisationCategory[];
  roles: DmpRole[];
}

const KINDS: readonly DmpActorKind[] = ['patient', 'guardian', 'practitioner', 'system'];
const ROLES: readonly DmpRole[] = ['samu-regulator', 'identity-verifier', 'directory-admin'];
const CATEGORIES: readonly OrganisationCategory[] = [...EXCLUDED_CATEGORIES, 'assurance-maladie', 'feeder', 'care'];
const MINTS_EXAMPLE = '"mints": {"kinds": ["practitioner"], "roles": ["samu-regulator"], "categories": []}';

/** A list of known words, or a start-up error naming the entry and the words it may use. */
function wordsOf<T extends string>(value: unknown, known: readonly T[], where: string, required: boolean): T[] {
  if (value === undefined && !required) return [];
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string' || !known.includes(v as T))) {
    throw new Error(`${where} must be a JSON array of ${known.join(', ')}`);
  }
  return value as T[];
}

/** Reads an AUTH_ISSUERS entry's `mints`; an entry without it is refused at start (closed by default). */
function readMints(raw: unknown, where: string): IssuerMints {
  if (raw === undefined) {
    throw new Error(`${where} must declare what its tokens may name (closed by default), e.g. ${MINTS_EXAMPLE}; see src/access/README.md, "Tokens"`);
  }
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw new Error(`${where}.mints must be an object, e.g. ${MINTS_EXAMPLE}`);
  const m = raw as Record<string, unknown>;
  const unknownKeys = Object.keys(m).filter((k) => !['kinds', 'categories', 'roles'].includes(k));
  if (unknownKeys.length) throw new Error(`${where}.mints has unknown keys ${unknownKeys.join(', ')} (kinds, categories, roles)`);
  const kinds = wordsOf(m.kinds, KINDS, `${where}.mints.kinds`, true);
  if (!kinds.length) throw new Error(`${where}.mints.kinds names no actor kind: an issuer that mints nothing is not configured`);
  const categories = wordsOf(m.categories, CATEGORIES, `${where}.mints.categories`, false);
  if (kinds.includes('system') && !categories.length) {
    throw new Error(`${where}.mints.categories must name the categories of its system tokens (e.g. ["feeder"] or ["assurance-maladie"])`);
  }
  return { kinds, categories, roles: wordsOf(m.roles, ROLES, `${where}.mints.roles`, false) };
}

/** Authentication settings: production issuers, and the development issuer trusted only under DEV_AUTH=1. */
export interface AuthConfig {
  issuers: IssuerConfig[];
  audience: string;
  /** DEV_AUTH=1: tokens signed by the development key are trusted (never with NODE_ENV=production). */
  devAuth: boolean;
  devIssuer: string;
  /** Where the development key pair is kept (created on first use). */
  devKeyFile: string;
  /** Development private key as a JWK JSON string (overrides devKeyFile). */
  devKeyJwk?: string;
  /** Lifetime of development tokens in seconds (DEV_TOKEN_TTL, default 3600; at most devTokenMaxLifetime). */
  devTokenTtl: number;
  /**
   * The longest lifetime (`exp` − `iat`, seconds) a development token may have (DEV_TOKEN_MAX_LIFETIME, default 3600, from
   * 60 to 86400): the rule of configured issuers (`maxTokenLifetime`), applied to the development key too.
   */
  devTokenMaxLifetime: number;
  /** Patient sign-in (POST /auth/login then /auth/otp): this server's own issuer, trusted for patient tokens only. */
  login: LoginConfig;
  /** How long (ms) a token subject's directory resolution is reused by this process (`ActorResolver`; 0 = never). */
  actorCacheMs: number;
  /**
   * How long a token cut-off (new password, credentials revoked, guardian link ended, majority hand-over) is reused by
   * a process, ms (TOKEN_CUTOFF_CACHE_MS, default 3000, at most 60000; 0 reads it on every request): the revocation
   * delay, the longest an access token of ours keeps working after the event that ended its right.
   */
  tokenCutoffCacheMs: number;
}

/** Settings of the patient sign-in issuer. */
export interface LoginConfig {
  issuer: string;
  /** Where its signing key is kept (created on first use), or LOGIN_ISSUER_KEY as a JWK JSON string. */
  keyFile: string;
  keyJwk?: string;
  /** Lifetime of the access tokens it issues, in seconds (short: the patient signs in again). */
  tokenTtl: number;
  /** Lifetime of a one-time code, in seconds. */
  codeTtl: number;
  /** Consecutive failures (password or code) that lock the account, and for how long (seconds). */
  maxFailures: number;
  lockSeconds: number;
  /** Wrong guesses one code survives before it is burnt. */
  maxCodeAttempts: number;
}

export const DEV_ISSUER = 'urn:dmp-fhir:dev-issuer';
export const DEFAULT_AUDIENCE = 'dmp-fhir';
export const LOGIN_ISSUER = 'urn:dmp-fhir:patient-login';
/** Issuer of the access tokens of the SMART authorization server (src/smart), signed with the sign-in key. */
export const SMART_ISSUER = 'urn:dmp-fhir:smart';

function positiveInt(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const n = Number(env[name] || fallback);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${name} must be a positive integer`);
  return n;
}

/**
 * DEV_AUTH: only `1` turns development tokens on (unset, empty or `0`: off); anything else is a mistake worth
 * stopping for, and so is DEV_AUTH=1 with NODE_ENV=production (anyone holding the dev key would be trusted).
 */
function readDevAuth(env: NodeJS.ProcessEnv): boolean {
  const raw = env.DEV_AUTH ?? '';
  if (raw !== '' && raw !== '0' && raw !== '1') throw new Error(`DEV_AUTH must be 1 (trust development tokens) or unset, not "${raw}"`);
  const devAuth = raw === '1';
  if (devAuth && env.NODE_ENV === 'production') {
    throw new Error('DEV_AUTH=1 cannot be used with NODE_ENV=production: it trusts every token signed by the development key. Unset DEV_AUTH and configure AUTH_ISSUERS.');
  }
  return devAuth;
}

/**
 * Reads AUTH_ISSUERS (JSON array of IssuerConfig), AUTH_AUDIENCE, DEV_AUTH (with NODE_ENV), DEV_ISSUER_KEY,
 * DEV_TOKEN_TTL, DEV_TOKEN_MAX_LIFETIME and the patient sign-in settings LOGIN_ISSUER_KEY, LOGIN_TOKEN_TTL, LOGIN_CODE_TTL,
 * LOGIN_MAX_FAILURES, LOGIN_LOCK_SECONDS, LOGIN_MAX_CODE_ATTEMPTS, ACTOR_CACHE_MS and TOKEN_CUTOFF_CACHE_MS. Throws on DEV_AUTH=1 with
 * NODE_ENV=production.
 */
export function loadAuthConfig(env: NodeJS.ProcessEnv, dataDir: string): AuthConfig {
  const devAuth = readDevAuth(env);
  const audience = env.AUTH_AUDIENCE || DEFAULT_AUDIENCE;
  let issuers: IssuerConfig[] = [];
  if (env.AUTH_ISSUERS) {
    const parsed = JSON.parse(env.AUTH_ISSUERS) as Partial<IssuerConfig>[];
    if (!Array.isArray(parsed)) throw new Error('AUTH_ISSUERS must be a JSON array');
    issuers = parsed.map((i, n) => {
      if (!i.issuer || !i.jwks) throw new Error(`AUTH_ISSUERS[${n}] needs issuer and jwks`);
      const where = `AUTH_ISSUERS[${n}] (${i.issuer})`;
      const mints = readMints(i.mints, where);
      const maxTokenLifetime = readMaxTokenLifetime(i.maxTokenLifetime, where);
      return { issuer: i.issuer, jwks: i.jwks, audience: i.audience ?? audience, algorithms: i.algorithms ?? ['RS256', 'ES256', 'PS256'], defaultScopes: i.defaultScopes, mints, maxTokenLifetime };
    });
  }
  const ttl = Number(env.DEV_TOKEN_TTL || 3600);
  if (!Number.isInteger(ttl) || ttl <= 0) throw new Error('DEV_TOKEN_TTL must be a positive number of seconds');
  const devTokenMaxLifetime = Number(env.DEV_TOKEN_MAX_LIFETIME || DEFAULT_EXTERNAL_TOKEN_LIFETIME_S);
  if (!Number.isInteger(devTokenMaxLifetime) || devTokenMaxLifetime < 60 || devTokenMaxLifetime > LONGEST_EXTERNAL_TOKEN_LIFETIME_S) {
    throw new Error(`DEV_TOKEN_MAX_LIFETIME must be a whole number of seconds from 60 to ${LONGEST_EXTERNAL_TOKEN_LIFETIME_S}`);
  }
  // The server refuses a development token living longer than the cap: minting one by default would be a trap.
  if (ttl > devTokenMaxLifetime) throw new Error(`DEV_TOKEN_TTL (${ttl}) exceeds DEV_TOKEN_MAX_LIFETIME (${devTokenMaxLifetime}): development tokens living longer are refused`);
  const actorCacheMs = Number(env.ACTOR_CACHE_MS ?? 5000);
  if (!Number.isInteger(actorCacheMs) || actorCacheMs < 0) throw new Error('ACTOR_CACHE_MS must be a whole number of milliseconds (0 disables the cache)');
  const tokenCutoffCacheMs = Number(env.TOKEN_CUTOFF_CACHE_MS ?? 3000);
  if (!Number.isInteger(tokenCutoffCacheMs) || tokenCutoffCacheMs < 0 || tokenCutoffCacheMs > 60_000) {
    throw new Error('TOKEN_CUTOFF_CACHE_MS must be a whole number of milliseconds from 0 (read on every request) to 60000');
  }
  return {
    issuers,
    audience,
    devAuth,
    devIssuer: DEV_ISSUER,
    devKeyFile: path.join(dataDir, 'dev-issuer-key.json'),
    devKeyJwk: env.DEV_ISSUER_KEY || undefined,
    devTokenTtl: ttl,
    devTokenMaxLifetime,
    login: {
      issuer: LOGIN_ISSUER,
      keyFile: path.join(dataDir, 'login-issuer-key.json'),
      keyJwk: env.LOGIN_ISSUER_KEY || undefined,
      tokenTtl: positiveInt(env, 'LOGIN_TOKEN_TTL', 900),
      codeTtl: positiveInt(env, 'LOGIN_CODE_TTL', 300),
      maxFailures: positiveInt(env, 'LOGIN_MAX_FAILURES', 5),
      lockSeconds: positiveInt(env, 'LOGIN_LOCK_SECONDS', 900),
      maxCodeAttempts: positiveInt(env, 'LOGIN_MAX_CODE_ATTEMPTS', 3),
    },
    actorCacheMs,
    tokenCutoffCacheMs,
  };
}

/** The development issuer is trusted only when DEV_AUTH=1 was set explicitly (beside any configured issuer). */
export function trustsDevIssuer(config: AuthConfig): boolean {
  return config.devAuth;
}
