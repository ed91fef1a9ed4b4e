import { loadAuthConfig } from '../../../src/auth/auth-config';
import { loadDevKey } from '../../../src/auth/dev-key';
import { SignJWT } from '../../../src/auth/jose';
import { mintDevToken, type MintOptions } from '../../../src/auth/mint-token';
import { CALLERS } from './actors';
import { useFixtureServer } from './fixture-server';

/** The ordinary actors of the sweeps (tokens the server's issuers give them): `CALLERS` of `actors.ts`. */
export const ACTORS = CALLERS;
export type Who = keyof typeof ACTORS;

export interface Answer {
  status: number;
  headers: Headers;
  text: string;
  body: any;
}

/** Calls of a test file against the production composition over the access fixture. */
export function useSweepServer(prefix: string) {
  const run = useFixtureServer(prefix);
  const tokens = new Map<string, string>();
  const token = async (who: Who | MintOptions): Promise<string> => {
    const options = typeof who === 'string' ? ACTORS[who] : who;
    const key = JSON.stringify(options);
    if (!tokens.has(key)) {
      const auth = loadAuthConfig({ DEV_AUTH: '1' }, run.dataDir);
      tokens.set(key, await mintDevToken(auth, await loadDevKey(auth), options as MintOptions));
    }
    return tokens.get(key) as string;
  };
  /** A development token carrying exactly these claims (signed by the key the server trusts). */
  const tokenWith = async (claims: Record<string, unknown>, subject = 'x'): Promise<string> => {
    const auth = loadAuthConfig({ DEV_AUTH: '1' }, run.dataDir);
    const key = await loadDevKey(auth);
    return new SignJWT(claims).setProtectedHeader({ alg: 'ES256', kid: key.kid, typ: 'JWT' })
      .setIssuer(auth.devIssuer).setAudience(auth.audience).setSubject(subject).setIssuedAt().setExpirationTime('300s').sign(key.privateKey);
  };
  const raw = async (bearer: string, method: string, url: string, body?: unknown, headers: Record<string, string> = {}): Promise<Answer> => {
    const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
    const res = await fetch(`${run.server.fhirUrl}${url}`, { method, headers: { Authorization: `Bearer ${bearer}`, 'Content-Type': 'application/fhir+json', ...headers }, body: payload });
    const text = await res.text();
    let parsed: unknown;
    try { parsed = text ? JSON.parse(text) : undefined; } catch { parsed = undefined; }
    return { status: res.status, headers: res.headers, text, body: parsed };
  };
  const call = async (who: Who | MintOptions, method: string, url: string, body?: unknown, headers: Record<string, string> = {}): Promise<Answer> => raw(await token(who), method, url, body, headers);
  return { run, token, tokenWith, raw, call };
}

// Instants (a Bundle entry's `lastModified` too) are the time of a write, not what it tells: two answers a second apart
// differed there only (a flaky failure seen by a helper).
const VOLATILE = /"lastUpdated":"[^"]*"|"lastModified":"[^"]*"|"timestamp":"[^"]*"|"recorded":"[^"]*"|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|127\.0\.0\.1:\d+/g;
/** What an answer tells, ids set aside: status, the headers an attacker reads, the body. */
export function shape(answer: Answer, id: string): string[] {
  const scrub = (s: string | null) => (s ?? '').replace(VOLATILE, '').split(id).join('<id>');
  const headers = ['etag', 'location', 'content-location', 'content-type'].map((h) => `${h}: ${scrub(answer.headers.get(h))}`);
  // Last-Modified is compared by presence: its value is the instant of the write (timing is out of scope).
  headers.push(`last-modified: ${answer.headers.has('last-modified')}`);
  return [String(answer.status), ...headers, scrub(answer.text)];
}
