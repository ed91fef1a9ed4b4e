import type { ClientRateLimitInfo, Options, Store } from 'express-rate-limit';
import type { Statements } from '../store/db';
import type { SystemRepository } from '../system/system-repository';
import { sql } from '../store/sql';

/**
 * The per-address sign-in throttle's counter in PostgreSQL (table `signin_source_hit`, migration 181), so that every
 * server process on one database counts the same failures: with express-rate-limit's memory store, two processes
 * behind a balancer each allowed the limit. A fixed window per address, as the memory store's: the first hit after a
 * window ended starts a new one. Each hit is one atomic upsert (no read-then-write: parallel failures from one address
 * on several processes all count); express-rate-limit gives a success back with `decrement`.
 */
export class SourceHitStore implements Store {
  /** Counts are shared with the other processes on the database (express-rate-limit's double-count check). */
  readonly localKeys = false;
  private windowMs = 900_000;

  /**
   * The counter is system work shared by every sign-in route (no actor): the named system repository, not a raw Db.
   * `prefix` names the counter in the table: `signin:` for failed sign-in steps, `authorize:` for the authorization
   * requests opened (`../smart/authorize-throttle.ts`), so one address's two counts never mix.
   */
  constructor(private readonly db: SystemRepository, private readonly clock: () => Date = () => new Date(), readonly prefix = 'signin:') {}

  init(options: Options): void {
    this.windowMs = options.windowMs;
  }

  async get(key: string): Promise<ClientRateLimitInfo | undefined> {
    const now = this.clock().toISOString();
    const { rows } = await this.db.query<{ hits: number; reset_at: Date | string }>(sql`SELECT hits, reset_at FROM signin_source_hit
      WHERE key = ${this.prefix + key} AND reset_at > ${now}::timestamptz`);
    return rows[0] ? { totalHits: Number(rows[0].hits), resetTime: new Date(rows[0].reset_at) } : undefined;
  }

  async increment(key: string): Promise<ClientRateLimitInfo> {
    const now = this.clock();
    const at = now.toISOString();
    const end = new Date(now.getTime() + this.windowMs).toISOString();
    const { rows } = await this.db.query<{ hits: number; reset_at: Date | string }>(sql`
      INSERT INTO signin_source_hit AS h (key, hits, reset_at) VALUES (${this.prefix + key}, 1, ${end}::timestamptz)
      ON CONFLICT (key) DO UPDATE SET
        hits = CASE WHEN h.reset_at <= ${at}::timestamptz THEN 1 ELSE h.hits + 1 END,
        reset_at = CASE WHEN h.reset_at <= ${at}::timestamptz THEN ${end}::timestamptz ELSE h.reset_at END
      RETURNING hits, reset_at`);
    return { totalHits: Number(rows[0].hits), resetTime: new Date(rows[0].reset_at) };
  }

  async decrement(key: string): Promise<void> {
    await this.db.query(sql`UPDATE signin_source_hit SET hits = GREATEST(hits - 1, 0)
      WHERE key = ${this.prefix + key} AND reset_at > ${this.clock().toISOString()}::timestamptz`);
  }

  async resetKey(key: string): Promise<void> {
    await this.db.query(sql`DELETE FROM signin_source_hit WHERE key = ${this.prefix + key}`);
  }
}

/** The purge job's pruning of the throttle's ended windows (they answer as no row), or in a dry run their count. */
export async function pruneSourceHits(db: Statements, now: Date, dryRun = false): Promise<number> {
  const ended = sql`FROM signin_source_hit WHERE reset_at <= ${now.toISOString()}::timestamptz`;
  if (dryRun) return Number((await db.query<{ n: string }>(sql`SELECT count(*)::text AS n ${ended}`)).rows[0]?.n ?? 0);
  return (await db.query(sql`DELETE ${ended}`)).rowCount;
}
