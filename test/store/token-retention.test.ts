import { TokenCutoffs } from '../../src/auth/token-cutoffs';
import { pruneTokenState, retentionHorizonMs } from '../../src/smart/token-retention';
import type { Db } from '../../src/store/db';
import { sql } from '../../src/store/sql';
import { capturedLogger } from '../support/captured-logger';
import { createTestDb, type TestDb } from '../support/test-db';

// Issue 14, retention: `token_cutoff`, `smart_refresh_family` and `smart_refresh_token` grew for ever. A cut-off is
// deleted once no token it could refuse can be alive: our issuers' tokens live at most the longest of
// SMART_ACCESS_TOKEN_TTL (accepted up to a day) and LOGIN_TOKEN_TTL, plus an hour of margin — 25 hours with the
// defaults (900 s each). A refresh family goes once revoked, or with every token expired, or ended (SMART_REFRESH_FAMILY_TTL
// after its sign-in, 90 days here), over that long ago; a family still alive keeps even its old used tokens (reuse
// detection). Over a real database (TEST_DATABASE_URL, else PGlite).

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
let t: TestDb;
let db: Db;

beforeAll(async () => {
  t = await createTestDb();
  db = t.db;
});
afterAll(() => t?.drop());

/** A cut-off `ageMs` old on the database's clock (the clock `token_cutoff_set` writes with). */
async function cutoffAged(subject: string, ageMs: number): Promise<void> {
  await db.query(sql`INSERT INTO token_cutoff (subject, cut_at, reason) VALUES (${subject}, clock_timestamp() - ${ageMs}::bigint * interval '1 millisecond', 'test')`);
}

/** A refresh family started 40 days (or `createdAgoMs`) before `now`, revoked `revokedAgoMs` before it if given, with tokens expiring at `expiresInMs` from `now` (negative: expired). */
async function family(id: string, now: Date, o: { createdAgoMs?: number; revokedAgoMs?: number; tokens: { expiresInMs: number; used?: boolean }[] }): Promise<void> {
  const at = (ms: number) => new Date(now.getTime() + ms).toISOString();
  await db.query(sql`INSERT INTO smart_refresh_family (id, client_id, scope, subject, created_at, revoked_at, revoked_reason)
    VALUES (${id}, 'app', 'patient/*.rs offline_access', '{"kind":"patient","patient":"p1"}'::jsonb, ${at(-(o.createdAgoMs ?? 40 * DAY))}::timestamptz,
      ${o.revokedAgoMs === undefined ? null : at(-o.revokedAgoMs)}::timestamptz, ${o.revokedAgoMs === undefined ? null : 'test'})`);
  let i = 0;
  for (const tok of o.tokens) {
    i += 1;
    await db.query(sql`INSERT INTO smart_refresh_token (token_digest, family_id, created_at, expires_at, used_at)
      VALUES (${`${id}-${i}`}, ${id}, ${at(tok.expiresInMs - 30 * DAY)}::timestamptz, ${at(tok.expiresInMs)}::timestamptz, ${tok.used ? at(tok.expiresInMs - 29 * DAY) : null}::timestamptz)`);
  }
}

const subjects = async () => (await db.query<{ subject: string }>(sql`SELECT subject FROM token_cutoff ORDER BY subject`)).rows.map((r) => r.subject);
const families = async () => (await db.query<{ id: string }>(sql`SELECT id FROM smart_refresh_family ORDER BY id`)).rows.map((r) => r.id);
const tokens = async () => (await db.query<{ token_digest: string }>(sql`SELECT token_digest FROM smart_refresh_token ORDER BY token_digest`)).rows.map((r) => r.token_digest);

test('the horizon is the longest lifetime our issuers may have given (a day at least) plus an hour', () => {
  expect(retentionHorizonMs({ accessTokenTtlS: 900, loginTokenTtlS: 900 })).toBe(25 * HOUR);
  // A sign-in lifetime above a day is counted as configured.
  expect(retentionHorizonMs({ accessTokenTtlS: 900, loginTokenTtlS: 2 * 86_400 })).toBe(49 * HOUR);
});

describe('a pruning run, by two servers at once, in batches of one row', () => {
  const horizonMs = retentionHorizonMs({ accessTokenTtlS: 900, loginTokenTtlS: 900 });
  const now = new Date();
  const captured = capturedLogger();
  let counts: { cutoffs: number; families: number; tokens: number }[] = [];

  beforeAll(async () => {
    // Kept: a token issued just before them, under a day's SMART_ACCESS_TOKEN_TTL (configured before a restart), may live.
    await cutoffAged('Patient/recent', 2 * HOUR);
    await cutoffAged('SmartGrant/recent', 24 * HOUR + 30 * 60_000);
    // Deleted: every token issued before them expired over an hour ago.
    await cutoffAged('Patient/old', 26 * HOUR);
    await cutoffAged('RelatedPerson/old', 90 * DAY);
    await family('live', now, { tokens: [{ expiresInMs: -10 * DAY, used: true }, { expiresInMs: -9 * DAY, used: true }, { expiresInMs: 20 * DAY }] });
    await family('revoked-recently', now, { revokedAgoMs: HOUR, tokens: [{ expiresInMs: 20 * DAY, used: true }] });
    await family('expired-recently', now, { tokens: [{ expiresInMs: -3 * DAY, used: true }, { expiresInMs: -2 * HOUR }] });
    await family('revoked-long-ago', now, { revokedAgoMs: 26 * HOUR, tokens: [{ expiresInMs: 20 * DAY, used: true }, { expiresInMs: 20 * DAY }] });
    await family('expired-long-ago', now, { tokens: [{ expiresInMs: -30 * DAY, used: true }, { expiresInMs: -26 * HOUR }] });
    // Rotated for a year, from before families had an end: its last token runs 20 more days, but the family ended 275
    // days ago. Deleted with its whole chain. One that ended an hour ago is kept (its last access token may live).
    await family('ended-long-ago', now, { createdAgoMs: 365 * DAY, tokens: [{ expiresInMs: -300 * DAY, used: true }, { expiresInMs: -DAY, used: true }, { expiresInMs: 20 * DAY }] });
    await family('ended-recently', now, { createdAgoMs: 90 * DAY + HOUR, tokens: [{ expiresInMs: -DAY, used: true }, { expiresInMs: 20 * DAY }] });
    counts = await Promise.all([
      pruneTokenState(db, { now, horizonMs, familyTtlMs: 90 * DAY, batchSize: 1, logger: captured.logger }),
      pruneTokenState(db, { now, horizonMs, familyTtlMs: 90 * DAY, batchSize: 1, logger: captured.logger }),
    ]);
  });

  test('deletes the cut-offs past the horizon and keeps the others, which still refuse the tokens issued before them', async () => {
    expect(await subjects()).toEqual(['Patient/recent', 'SmartGrant/recent']);
    const cutoffs = new TokenCutoffs(db, { ttlMs: 0 });
    // A token issued three hours ago, before the 2-hour-old cut-off: still dead.
    expect(await cutoffs.deathOf(['Patient/recent'], Date.now() - 3 * HOUR)).toBe('cut-off');
    expect(await cutoffs.deathOf(['SmartGrant/recent'], Date.now() - 25 * HOUR)).toBe('cut-off');
  });

  test('deletes the refresh families revoked or expired past the horizon with their tokens; a live family keeps its used tokens', async () => {
    expect(await families()).toEqual(['ended-recently', 'expired-recently', 'live', 'revoked-recently']);
    expect(await tokens()).toEqual(['ended-recently-1', 'ended-recently-2', 'expired-recently-1', 'expired-recently-2', 'live-1', 'live-2', 'live-3', 'revoked-recently-1']);
  });

  test('the two runs shared the work without counting a row twice, and logged counts only', () => {
    const sum = counts.reduce((a, c) => ({ cutoffs: a.cutoffs + c.cutoffs, families: a.families + c.families, tokens: a.tokens + c.tokens }), { cutoffs: 0, families: 0, tokens: 0 });
    expect(sum).toEqual({ cutoffs: 2, families: 3, tokens: 7 });
    const lines = captured.lines.filter((l) => String(l.message).startsWith('token retention'));
    expect(lines).toHaveLength(2);
    expect(captured.text()).not.toMatch(/Patient\/|RelatedPerson\/|SmartGrant\/|long-ago/);
  });
});
