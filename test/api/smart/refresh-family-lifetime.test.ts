import { digestOf } from '../../../src/smart/secrets';
import { pruneTokenState, retentionHorizonMs } from '../../../src/smart/token-retention';
import { sql } from '../../../src/store/sql';
import { authorizeCode, exchange, refresh } from './launch';
import { PASSWORD, startSmartApp, type SmartApp } from './smart-app';

// Issue 11 / issue 14 (retention), over HTTP on the access app with the SMART authorization server and an injected clock.
// A refresh family (one sign-in of one app) keeps its used tokens while it lives: a used token presented again means two
// holders, and revokes the family (OAuth 2.0 Security BCP §4.14.2). Found: a family that kept rotating lived for ever,
// so its chain of used tokens grew for ever too (the retention job deletes only families revoked or fully expired).
// Rule (`refresh-tokens.ts` familyEnd, SMART_REFRESH_FAMILY_TTL): a family ends that long after its sign-in however
// often it rotates; its tokens never expire after that end, a refresh after it is refused (sign in again), and the
// retention job deletes it with every token once what it gave can no longer be alive. While it lives, reuse detection is
// whole; after, every token of it is refused. Here a family lives 10 days, each refresh token 30.

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const FAMILY_TTL_S = 10 * 86_400;
const SCOPE = 'openid fhirUser launch/patient offline_access patient/*.rs';
const horizonMs = retentionHorizonMs({ accessTokenTtlS: 900, loginTokenTtlS: 900 });
let clockMs = Date.now();
let s: SmartApp;

beforeAll(async () => {
  s = await startSmartApp(0, { SMART_REFRESH_FAMILY_TTL: String(FAMILY_TTL_S) }, { clock: () => new Date(clockMs) });
}, 120_000);
afterAll(() => s?.close());

/** Paul (an adult: no majority rule in play) signs in at the clock's time; his app's first refresh token. */
async function signIn(): Promise<string> {
  const paul = await authorizeCode(s, { identifier: 'paul.durand', password: PASSWORD, code: () => s.lastCode() }, SCOPE);
  const token = await exchange(s, paul.code, paul.verifier);
  expect(token.status).toBe(200);
  return token.body.refresh_token as string;
}

/** The rows of the family a refresh token belongs to: its tokens' expiries (ms), oldest first. */
async function chainOf(familyId: string): Promise<number[]> {
  const { rows } = await s.a.testDb.db.query<{ expires_at: Date }>(sql`SELECT expires_at FROM smart_refresh_token WHERE family_id = ${familyId} ORDER BY created_at`);
  return rows.map((r) => new Date(r.expires_at).getTime());
}
async function familyOf(token: string): Promise<string> {
  const { rows } = await s.a.testDb.db.query<{ family_id: string }>(sql`SELECT family_id FROM smart_refresh_token WHERE token_digest = ${digestOf(token)}`);
  return rows[0].family_id;
}
const prune = (atMs: number) => pruneTokenState(s.a.testDb.db, { now: new Date(atMs), horizonMs, familyTtlMs: FAMILY_TTL_S * 1000 });

describe('an app that refreshes every day, for ever', () => {
  const signedInAt = clockMs;
  const ends = signedInAt + FAMILY_TTL_S * 1000;
  let first = '';
  let last = '';
  let familyId = '';

  it('refreshes until the family ends; no token of it expires after that end', async () => {
    first = await signIn();
    familyId = await familyOf(first);
    last = first;
    for (let day = 1; day <= 9; day++) {
      clockMs = signedInAt + day * DAY;
      const next = await refresh(s, last);
      expect([day, next.status]).toEqual([day, 200]);
      last = next.body.refresh_token as string;
    }
    // Thirty days each, but never past the family's end: every one was cut to it.
    expect(await chainOf(familyId)).toEqual(Array(10).fill(ends));
  }, 120_000);

  it('a refresh after the end is refused (invalid_grant: sign in again); signing in again gives a new family', async () => {
    clockMs = ends + 1000;
    const after = await refresh(s, last);
    expect([after.status, after.body.error, after.body.access_token, after.body.refresh_token]).toEqual([400, 'invalid_grant', undefined, undefined]);
    expect(String(after.body.error_description)).toMatch(/longest lifetime.*sign in again/);
    const again = await signIn();
    expect(await familyOf(again)).not.toBe(familyId);
  }, 60_000);

  it('kept while what it gave may live, then deleted with its whole chain; a token of it is then refused as unknown', async () => {
    await prune(ends + horizonMs - 60_000);
    expect(await chainOf(familyId)).toHaveLength(10);
    await prune(ends + horizonMs + 60_000);
    expect(await chainOf(familyId)).toEqual([]);
    const { rows } = await s.a.testDb.db.query(sql`SELECT 1 FROM smart_refresh_family WHERE id = ${familyId}`);
    expect(rows).toHaveLength(0);
    clockMs = ends + horizonMs + 120_000;
    for (const token of [first, last]) {
      const res = await refresh(s, token);
      expect([res.status, res.body.error, res.body.error_description]).toEqual([400, 'invalid_grant', 'The refresh token is unknown']);
    }
  }, 60_000);
});

describe('while a family lives, reuse detection is whole', () => {
  it('a token used on its first day, presented again on its ninth, revokes the family', async () => {
    const signedInAt = clockMs;
    const first = await signIn();
    clockMs = signedInAt + DAY;
    const second = await refresh(s, first);
    expect(second.status).toBe(200);
    let current = second.body.refresh_token as string;
    for (let day = 2; day <= 9; day++) {
      clockMs = signedInAt + day * DAY;
      current = (await refresh(s, current)).body.refresh_token as string;
    }
    const replay = await refresh(s, first);
    expect([replay.status, replay.body.error]).toEqual([400, 'invalid_grant']);
    expect(String(replay.body.error_description)).toMatch(/already used/);
    expect((await refresh(s, current)).body).toMatchObject({ error: 'invalid_grant', error_description: 'The refresh token was revoked' });
  }, 120_000);
});
