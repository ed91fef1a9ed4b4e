import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { exportJWK, generateKeyPair, importJWK, type JWK } from './jose';
import type { AuthConfig } from './auth-config';

type SigningKey = Awaited<ReturnType<typeof importJWK>>;

/** The development signing key: private key for minting, public JWK for verifying. */
export interface DevKey {
  kid: string;
  privateKey: SigningKey;
  publicJwk: JWK;
}

async function fromJwk(jwk: JWK): Promise<DevKey> {
  const { d: _d, ...publicJwk } = jwk;
  void _d;
  const privateKey = await importJWK(jwk, 'ES256');
  return { kid: jwk.kid ?? 'dev', privateKey, publicJwk: { ...publicJwk, alg: 'ES256', use: 'sig' } };
}

/** Loads the development key from DEV_ISSUER_KEY or the data dir, generating it there once (mode 0600). */
export async function loadDevKey(config: AuthConfig): Promise<DevKey> {
  return loadSigningKey(config.devKeyFile, config.devKeyJwk, 'dev');
}

/** Loads an ES256 signing key from a JWK string, or from `file`, generating it there once (mode 0600). */
export async function loadSigningKey(file: string, jwkText: string | undefined, kidPrefix: string): Promise<DevKey> {
  if (jwkText) return fromJwk(JSON.parse(jwkText) as JWK);
  try {
    return await fromJwk(JSON.parse(readFileSync(file, 'utf8')) as JWK);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const { privateKey } = await generateKeyPair('ES256', { extractable: true });
  const jwk = { ...(await exportJWK(privateKey)), kid: `${kidPrefix}-${Date.now().toString(36)}`, alg: 'ES256' };
  mkdirSync(path.dirname(file), { recursive: true });
  try {
    writeFileSync(file, JSON.stringify(jwk), { mode: 0o600, flag: 'wx' });
  } catch (err) {
    // Another process created it first: use theirs so both trust the same key.
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return fromJwk(JSON.parse(readFileSync(file, 'utf8')) as JWK);
    throw err;
  }
  return fromJwk(jwk);
}
