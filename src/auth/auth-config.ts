import path from 'node:path';

/** A trusted token issuer: where its keys are, which audience and algorithms it must use. */
export interface IssuerConfig {
  issuer: string;
  /** JWKS as a file path or an https URL. */
  jwks: string;
  audience: string;
  algorithms: string[];
  /** Scopes assumed when the issuer's tokens carry none (e.g. Pro Santé Connect); absent = none (fail closed). */
  defaultScopes?: string[];
}

/** Authentication settings: production issuers, and the development issuer trusted only when there is none. */
export interface AuthConfig {
  issuers: IssuerConfig[];
  audience: string;
  devIssuer: string;
  /** Where the development key pair is kept (created on first use). */
  devKeyFile: string;
  /** Development private key as a JWK JSON string (overrides devKeyFile). */
  devKeyJwk?: string;
  /** Lifetime of development tokens in seconds. */
  devTokenTtl: number;
}

export const DEV_ISSUER = 'urn:dmp-fhir:dev-issuer';
export const DEFAULT_AUDIENCE = 'dmp-fhir';

/** Reads AUTH_ISSUERS (JSON array of IssuerConfig), AUTH_AUDIENCE, DEV_ISSUER_KEY and DEV_TOKEN_TTL. */
export function loadAuthConfig(env: NodeJS.ProcessEnv, dataDir: string): AuthConfig {
  const audience = env.AUTH_AUDIENCE || DEFAULT_AUDIENCE;
  let issuers: IssuerConfig[] = [];
  if (env.AUTH_ISSUERS) {
    const parsed = JSON.parse(env.AUTH_ISSUERS) as Partial<IssuerConfig>[];
    if (!Array.isArray(parsed)) throw new Error('AUTH_ISSUERS must be a JSON array');
    issuers = parsed.map((i, n) => {
      if (!i.issuer || !i.jwks) throw new Error(`AUTH_ISSUERS[${n}] needs issuer and jwks`);
      return { issuer: i.issuer, jwks: i.jwks, audience: i.audience ?? audience, algorithms: i.algorithms ?? ['RS256', 'ES256', 'PS256'], defaultScopes: i.defaultScopes };
    });
  }
  const ttl = Number(env.DEV_TOKEN_TTL || 3600);
  if (!Number.isInteger(ttl) || ttl <= 0) throw new Error('DEV_TOKEN_TTL must be a positive number of seconds');
  return {
    issuers,
    audience,
    devIssuer: DEV_ISSUER,
    devKeyFile: path.join(dataDir, 'dev-issuer-key.json'),
    devKeyJwk: env.DEV_ISSUER_KEY || undefined,
    devTokenTtl: ttl,
  };
}

/** The development issuer is trusted only when no production issuer is configured. */
export function trustsDevIssuer(config: AuthConfig): boolean {
  return config.issuers.length === 0;
}
