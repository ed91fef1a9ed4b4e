import { readFileSync } from 'node:fs';
import type { OrganisationCategory } from '../access/actor';
import { createLocalJWKSet, createRemoteJWKSet, type JWK, type JWTVerifyGetKey } from '../auth/jose';

/** Who a backend client's tokens act as (issue 15: `actor` of SMART_CLIENTS). */
export interface ClientActor {
  kind: 'system';
  id: string;
  category?: OrganisationCategory;
}

/** A registered SMART client, validated. */
export interface SmartClient {
  clientId: string;
  type: 'public' | 'confidential-asymmetric';
  authMethod: 'none' | 'private_key_jwt';
  redirectUris: string[];
  /** Allowed scopes (each request is cut down to these). */
  scopes: string[];
  grantTypes: GrantType[];
  /** Keys verifying the client's assertions (private_key_jwt). */
  keys?: JWTVerifyGetKey;
  actor?: ClientActor;
  /** Development client (DEV_AUTH=1, unregistered id, loopback redirect): public, PKCE, patient scopes. */
  dev?: boolean;
}

export type GrantType = 'authorization_code' | 'refresh_token' | 'client_credentials';

/** The registry the routes consult: registered clients, plus development loopback clients under DEV_AUTH=1. */
export interface ClientRegistry {
  /** The client for an id (a development client only when `redirectUri` is a loopback URI under DEV_AUTH=1). */
  find(clientId: string, redirectUri?: string): SmartClient | undefined;
  /** True when the client may use this redirect URI (exact match; loopback for public clients in development). */
  allowsRedirect(client: SmartClient, redirectUri: string): boolean;
  /** Origins of every registered redirect URI (browser apps calling the API: CORS). */
  redirectOrigins(): string[];
  readonly clients: readonly SmartClient[];
}

const KEYS = ['client_id', 'type', 'token_endpoint_auth_method', 'redirect_uris', 'scope', 'grant_types', 'jwks', 'actor'];
const GRANTS: GrantType[] = ['authorization_code', 'refresh_token', 'client_credentials'];
const CATEGORIES: OrganisationCategory[] = ['feeder', 'assurance-maladie', 'care', 'insurer', 'employer', 'bank', 'occupational-health'];
/** The scopes a development loopback client may ask: a patient's own record, as the sign-in grants today. */
export const DEV_CLIENT_SCOPES = ['openid', 'fhirUser', 'launch/patient', 'offline_access', 'online_access', 'patient/*.cruds'];

/** RFC 8252 §7.3 loopback redirect: http on an IP literal, any port (not `localhost`, which DNS could answer). */
export function isLoopbackRedirect(uri: string): boolean {
  try {
    const u = new URL(uri);
    return u.protocol === 'http:' && (u.hostname === '127.0.0.1' || u.hostname === '[::1]') && !u.username && !u.password && !u.hash && !uri.includes('#');
  } catch {
    return false;
  }
}

/** A redirect URI we accept in configuration: absolute, no fragment, https (http on loopback only) or an app scheme. */
function redirectProblem(uri: unknown): string | undefined {
  if (typeof uri !== 'string') return 'must be strings';
  let u: URL;
  try {
    u = new URL(uri);
  } catch {
    return `"${uri}" is not an absolute URI`;
  }
  if (uri.includes('#')) return `"${uri}" must not have a fragment (RFC 6749 §3.1.2)`;
  if (u.protocol === 'https:' || isLoopbackRedirect(uri)) return undefined;
  if (u.protocol === 'http:') return `"${uri}" must use https (http only on 127.0.0.1 or [::1])`;
  // RFC 8252 §7.1: private-use schemes of native apps are reverse domain names.
  if (/^[a-z][a-z0-9+.-]*\.[a-z0-9+.-]+:$/.test(u.protocol)) return undefined;
  return `"${uri}" uses a scheme this server does not redirect to`;
}

function keySet(jwks: unknown, fail: (key: string, problem: string) => never): JWTVerifyGetKey {
  if (typeof jwks === 'string' && /^https:\/\//.test(jwks)) return createRemoteJWKSet(new URL(jwks));
  if (typeof jwks === 'string' && /^http:\/\//.test(jwks)) fail('jwks', 'an URL must use https');
  let doc: unknown = jwks;
  if (typeof jwks === 'string') {
    try {
      doc = JSON.parse(readFileSync(jwks, 'utf8'));
    } catch (err) {
      fail('jwks', `cannot read the JWKS file ${jwks}: ${(err as Error).message}`);
    }
  }
  const keys = (doc as { keys?: unknown })?.keys;
  if (!Array.isArray(keys) || keys.length === 0) fail('jwks', 'must be a JWKS object ({"keys": [...]}) with at least one key, a file path or an https URL');
  for (const k of keys as JWK[]) {
    if (k.kty !== 'RSA' && k.kty !== 'EC') fail('jwks', `key ${k.kid ?? '(no kid)'} must be RSA or EC (RS384/ES384)`);
    // A private key in the server's configuration is a leak waiting to happen: refuse it.
    if (k.d !== undefined) fail('jwks', `key ${k.kid ?? '(no kid)'} is a private key: give the public key only`);
  }
  return createLocalJWKSet(doc as { keys: JWK[] });
}

function parseClient(raw: unknown, n: number, seen: Set<string>): SmartClient {
  const name = typeof (raw as { client_id?: unknown })?.client_id === 'string' ? `"${(raw as { client_id: string }).client_id}"` : '(no client_id)';
  const fail = (key: string, problem: string): never => {
    throw new Error(`SMART_CLIENTS[${n}] client ${name}: "${key}" ${problem}`);
  };
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw new Error(`SMART_CLIENTS[${n}] must be an object`);
  const o = raw as Record<string, unknown>;
  for (const key of Object.keys(o)) if (!KEYS.includes(key)) fail(key, `is not a known key (expected ${KEYS.join(', ')})`);
  if (typeof o.client_id !== 'string' || !/^[\x21-\x7e]{1,200}$/.test(o.client_id)) fail('client_id', 'must be a non-empty string of visible ASCII');
  if (seen.has(o.client_id as string)) fail('client_id', 'is registered twice');
  if (o.type !== 'public' && o.type !== 'confidential-asymmetric') fail('type', 'must be "public" or "confidential-asymmetric"');
  const expectedMethod = o.type === 'public' ? 'none' : 'private_key_jwt';
  if (o.token_endpoint_auth_method !== expectedMethod) fail('token_endpoint_auth_method', `must be "${expectedMethod}" for a ${o.type as string} client`);
  if (!Array.isArray(o.grant_types) || o.grant_types.length === 0) fail('grant_types', `must be a non-empty array of ${GRANTS.join(', ')}`);
  const grantTypes = o.grant_types as GrantType[];
  for (const g of grantTypes) if (!GRANTS.includes(g)) fail('grant_types', `has "${String(g)}": expected ${GRANTS.join(', ')}`);
  if (o.type === 'public' && grantTypes.includes('client_credentials')) fail('grant_types', 'client_credentials needs a confidential-asymmetric client');
  if (typeof o.scope !== 'string' || !o.scope.trim()) fail('scope', 'must be a space-separated string of allowed scopes');
  const redirectUris = (o.redirect_uris ?? []) as unknown[];
  if (!Array.isArray(redirectUris)) fail('redirect_uris', 'must be an array of URIs');
  for (const uri of redirectUris) {
    const problem = redirectProblem(uri);
    if (problem) fail('redirect_uris', problem);
  }
  if (grantTypes.includes('authorization_code') && redirectUris.length === 0) fail('redirect_uris', 'are required for authorization_code');
  let keys: JWTVerifyGetKey | undefined;
  if (o.type === 'confidential-asymmetric') keys = keySet(o.jwks, fail);
  else if (o.jwks !== undefined) fail('jwks', 'is for confidential-asymmetric clients only');
  let actor: ClientActor | undefined;
  if (o.actor !== undefined || grantTypes.includes('client_credentials')) {
    const a = o.actor as Record<string, unknown> | undefined;
    if (!grantTypes.includes('client_credentials')) fail('actor', 'is for client_credentials clients only');
    if (!a || typeof a !== 'object' || a.kind !== 'system') fail('actor', 'must be {"kind": "system", "id": …, "category"?: …}');
    for (const key of Object.keys(a as object)) if (!['kind', 'id', 'category'].includes(key)) fail('actor', `has unknown key "${key}"`);
    if (typeof a!.id !== 'string' || !a!.id) fail('actor', 'needs an "id" (who the tokens act as)');
    if (a!.category !== undefined && !CATEGORIES.includes(a!.category as OrganisationCategory)) fail('actor', `"category" must be one of ${CATEGORIES.join(', ')}`);
    actor = { kind: 'system', id: a!.id as string, category: a!.category as OrganisationCategory | undefined };
  }
  seen.add(o.client_id as string);
  return {
    clientId: o.client_id as string,
    type: o.type as SmartClient['type'],
    authMethod: expectedMethod,
    redirectUris: redirectUris as string[],
    scopes: (o.scope as string).split(/\s+/).filter(Boolean),
    grantTypes,
    keys,
    actor,
  };
}

/** Parses SMART_CLIENTS (a JSON array, or `@path` to a file holding one). Throws naming the client and the key. */
export function loadClientRegistry(env: NodeJS.ProcessEnv, options: { devAuth: boolean; builtIn?: SmartClient[] }): ClientRegistry {
  let text = env.SMART_CLIENTS?.trim() ?? '';
  if (text.startsWith('@')) {
    try {
      text = readFileSync(text.slice(1), 'utf8');
    } catch (err) {
      throw new Error(`SMART_CLIENTS: cannot read ${text.slice(1)}: ${(err as Error).message}`);
    }
  }
  let parsed: unknown = [];
  if (text) {
    try {
      parsed = JSON.parse(text);
    } catch (err) {
      throw new Error(`SMART_CLIENTS is not valid JSON: ${(err as Error).message}`);
    }
  }
  if (!Array.isArray(parsed)) throw new Error('SMART_CLIENTS must be a JSON array of clients');
  const seen = new Set<string>();
  const configured = parsed.map((raw, n) => parseClient(raw, n, seen));
  // The server's own apps (the patient web space), unless the operator registered a client of the same id.
  const clients = [...configured, ...(options.builtIn ?? []).filter((b) => !seen.has(b.clientId))];
  const byId = new Map(clients.map((c) => [c.clientId, c]));
  const devClient = (clientId: string): SmartClient => ({
    clientId, type: 'public', authMethod: 'none', redirectUris: [], scopes: DEV_CLIENT_SCOPES, grantTypes: ['authorization_code', 'refresh_token'], dev: true,
  });
  return {
    clients,
    find(clientId, redirectUri) {
      const registered = byId.get(clientId);
      if (registered) return registered;
      // Development only: any id with a loopback redirect is a public PKCE client (RFC 8252). The token endpoint
      // finds it again by its id alone: what binds it is the code or refresh token issued to that id.
      if (options.devAuth && clientId && (redirectUri === undefined || isLoopbackRedirect(redirectUri))) return devClient(clientId);
      return undefined;
    },
    allowsRedirect(client, redirectUri) {
      if (client.redirectUris.includes(redirectUri)) return true;
      return options.devAuth && client.type === 'public' && isLoopbackRedirect(redirectUri);
    },
    redirectOrigins() {
      return [...new Set(clients.flatMap((c) => c.redirectUris).filter((u) => /^https?:/.test(u)).map((u) => new URL(u).origin))];
    },
  };
}
