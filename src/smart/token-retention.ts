import { longestOwnTokenLifetimeS } from '../auth/token-cutoffs';
import type { Logger } from '../logger';
import type { Transactions } from '../store/db';
import { sql } from '../store/sql';

/**
 * Retention of the token cut-offs (`token_cutoff`, migration 235) and of the SMART refresh families and tokens
 * (`smart_refresh_family`, `smart_refresh_token`, migration 195), which every password reset, guardian link end, majority
 * hand-over, sign-out and refresh adds to, and nothing removed (issue 14).
 *
 * THE RULE for a cut-off (closed by default). A cut-off at C refuses the tokens of our own issuers issued at or before C
 * (`token-cutoffs.ts`). Such a token carries `iat` ≤ C, and our issuers set `exp` = `iat` + their lifetime
 * (SMART_ACCESS_TOKEN_TTL, LOGIN_TOKEN_TTL), so it expires by C + that lifetime; the verifier refuses a token without
 * `exp` (`requiredClaims`) and one past it. So once C + the longest lifetime has passed, no token the cut-off could
 * refuse is alive, and it is deleted — with a margin, `longestTokenLifetimeMs`:
 * - the lifetime taken is the longest of the configured ones AND of the largest SMART_ACCESS_TOKEN_TTL the
 *   configuration accepts (one day): a lifetime lowered at a restart, or another server of the same database configured
 *   longer, must not bring back the longer-lived tokens issued before (a LOGIN_TOKEN_TTL above a day is counted as
 *   configured here only);
 * - plus an hour (RETENTION_MARGIN_MS): `cut_at` is the database's clock, `exp` is checked on each server's own clock;
 *   the margin absorbs their skew, and the cut-off cache (TOKEN_CUTOFF_CACHE_MS, one minute at most).
 * A token with an `iat` after C is not refused by the cut-off at all, whether it is kept or not: deleting it changes
 * nothing for that token. Link ends and majorities are not stored (they are compared with the clock): never pruned.
 *
 * A refresh family is deleted, with its tokens, once it can give nothing and nothing it gave can be alive: revoked
 * over that same horizon ago, or with every token expired over that horizon ago, or ended (SMART_REFRESH_FAMILY_TTL
 * after its sign-in, `familyEnd`) over that horizon ago — the access tokens it issued, at its last rotation at the
 * latest, expired by then. A family still alive keeps its used tokens, however old: presenting a used one again
 * revokes the family (rotation's theft detection, OAuth 2.0 Security BCP §4.14.2), and a legitimate app coming back
 * after its token expired must still end a thief's chain started from a copy. What bounds them is the family's own
 * end: one that kept rotating kept every used token for ever (issue 11). Used tokens are not pruned from a live family:
 * a deleted one presented again would be refused as unknown, but would no longer revoke the thief's chain; after the
 * family's end there is no chain left to revoke, and every token of it is refused (ended, then unknown).
 *
 * Batches of BATCH_SIZE rows, one transaction each, rows taken with SKIP LOCKED and re-checked by the DELETE: two
 * servers running it at once share the work instead of waiting on each other, and a row moved forward meanwhile (a new
 * cut-off for the same subject, a refresh) is not deleted.
 */
export const RETENTION_MARGIN_MS = 3_600_000;
const BATCH_SIZE = 1000;

/**
 * How long after its cut-off (or its family's end) no token it concerns can be alive, ms, margin included: the longest
 * of our issuers' lifetimes and of the configured issuers' `maxTokenLifetime` (the operator's cut-offs, `npm run
 * tokens:cut`, end their tokens too).
 */
export function retentionHorizonMs(o: { accessTokenTtlS: number; loginTokenTtlS: number; externalTokenTtlS?: number }): number {
  return Math.max(o.accessTokenTtlS, longestOwnTokenLifetimeS(o.loginTokenTtlS), o.externalTokenTtlS ?? 0) * 1000 + RETENTION_MARGIN_MS;
}

/** What one run deleted. */
export interface PruneCounts {
  cutoffs: number;
  families: number;
  tokens: number;
}

/**
 * Deletes the cut-offs and refresh families past the horizon (`retentionHorizonMs`); `now` is the clock the refresh rows
 * are written with (cut-offs are compared on the database's clock, theirs). Logs one line of counts: no subject, no id.
 */
export async function pruneTokenState(db: Transactions, o: { now: Date; horizonMs: number; familyTtlMs: number; logger?: Logger; batchSize?: number }): Promise<PruneCounts> {
  const batch = o.batchSize ?? BATCH_SIZE;
  const counts: PruneCounts = { cutoffs: 0, families: 0, tokens: 0 };
  for (;;) {
    const deleted = await db.transaction(async (tx) => {
      const r = await tx.query(sql`DELETE FROM token_cutoff WHERE subject IN (
          SELECT subject FROM token_cutoff WHERE cut_at < clock_timestamp() - ${o.horizonMs}::bigint * interval '1 millisecond'
           ORDER BY cut_at LIMIT ${batch} FOR UPDATE SKIP LOCKED)
        AND cut_at < clock_timestamp() - ${o.horizonMs}::bigint * interval '1 millisecond'`);
      return r.rowCount;
    });
    counts.cutoffs += deleted;
    if (deleted < batch) break;
  }
  const before = new Date(o.now.getTime() - o.horizonMs).toISOString();
  // Families signed in before this ended over the horizon ago, whatever their tokens say (issued before families ended).
  const startedBefore = new Date(o.now.getTime() - o.horizonMs - o.familyTtlMs).toISOString();
  for (;;) {
    const { families, tokens } = await db.transaction(async (tx) => {
      // Families locked first (SKIP LOCKED: a refresh holding one keeps it), then their tokens counted and cascaded.
      const { rows } = await tx.query<{ id: string }>(sql`SELECT f.id FROM smart_refresh_family f
        WHERE (f.revoked_at IS NOT NULL AND f.revoked_at < ${before}::timestamptz)
           OR (f.revoked_at IS NULL AND f.created_at < ${before}::timestamptz
               AND NOT EXISTS (SELECT 1 FROM smart_refresh_token t WHERE t.family_id = f.id AND t.expires_at >= ${before}::timestamptz))
           OR f.created_at < ${startedBefore}::timestamptz
        LIMIT ${batch} FOR UPDATE SKIP LOCKED`);
      if (rows.length === 0) return { families: 0, tokens: 0 };
      const ids = rows.map((r) => r.id);
      const t = await tx.query(sql`DELETE FROM smart_refresh_token WHERE family_id = ANY(${ids}::text[])`);
      const f = await tx.query(sql`DELETE FROM smart_refresh_family WHERE id = ANY(${ids}::text[])`);
      return { families: f.rowCount, tokens: t.rowCount };
    });
    counts.families += families;
    counts.tokens += tokens;
    if (families < batch) break;
  }
  o.logger?.info('token retention: expired cut-offs and refresh families deleted', { ...counts, horizonMs: o.horizonMs });
  return counts;
}
