import { createHash } from 'node:crypto';
import pg from 'pg';
import { databaseUnavailable, isConnectionLoss, rethrowAsUnavailable } from './connection-loss';
import type { Db, QueryResult } from './db';
import { isUsableHost, parseHostList, type HostList } from './pg-hosts';
import { beginSettling, settle } from './settle';
import { FreshPlanSql, Sql, type StatementShape } from '../kernel/sql';

// int8 (bigint) as JS number: our counters (rid, counts) stay far below 2^53.
pg.types.setTypeParser(20, (v) => Number(v));

const MAX_NAMED_STATEMENTS = 2000;
/**
 * Statement texts already named, found by a short key (length, head and tail of the text) and then compared whole:
 * a Map keyed by the text itself hashed the whole fresh text of every statement — 3–4 KB under the access predicate,
 * ~7 µs a look-up measured, two per audited read — where comparing it with an equal string costs a fraction of that.
 */
const named = new Map<string, { text: string; name: string }[]>();
let namedCount = 0;

/** The name of a statement text (a hash of it, so every connection names it alike); undefined beyond the bound. */
function statementName(text: string): string | undefined {
  const key = `${text.length}|${text.slice(0, 64)}|${text.slice(-64)}`;
  const bucket = named.get(key);
  if (bucket) for (const entry of bucket) if (entry.text === text) return entry.name;
  if (namedCount >= MAX_NAMED_STATEMENTS) return undefined;
  const entry = { text, name: `s${createHash('sha1').update(text).digest('base64url')}` };
  if (bucket) bucket.push(entry);
  else named.set(key, [entry]);
  namedCount++;
  return entry.name;
}

/**
 * Parameterised statements are sent as named prepared statements (name = hash of the text), so each connection
 * plans a statement shape once and reuses the plan: the access predicate, with its many EXISTS branches, was
 * measured to cost 0.6–1.7 ms to plan and 0.1–0.4 ms to run. Statements without parameters (migrations,
 * multi-statement scripts) stay unnamed, and so do those marked `planEachTime` (look-ups in tables that start empty and
 * grow: `kernel/sql.ts`) and any shape beyond a bounded number. The connections use
 * `plan_cache_mode = force_generic_plan` (`PgDb`): left to choose, PostgreSQL compares the estimated cost of the
 * reusable plan with that of one planned for the values at hand, and a search whose estimate for one patient's
 * rows came out at 1 instead of 3 was planned again at every execution (0.9 ms under the access predicate).
 * Transactions (writes) go back to the default mode.
 */
function toArgs(statement: Sql | string, values?: unknown[]): { text: string; values: unknown[]; name?: string } {
  const query: { text: string; values: unknown[]; shape?: StatementShape } = statement instanceof Sql ? statement.toStatement() : { text: statement, values: values ?? [] };
  if (query.values.length === 0 || statement instanceof FreshPlanSql) return { text: query.text, values: query.values };
  const shape = query.shape;
  const name = shape ? shapeName(shape) : statementName(query.text);
  return name === undefined ? { text: query.text, values: query.values } : { text: query.text, values: query.values, name };
}

/** Names of the statements whose text `Sql.toQuery` keeps (the same shape object for the same text): no look-up by text. */
const shapeNames = new WeakMap<StatementShape, string | undefined>();

function shapeName(shape: StatementShape): string | undefined {
  if (shapeNames.has(shape)) return shapeNames.get(shape);
  const name = statementName(shape.text);
  shapeNames.set(shape, name);
  return name;
}

class PgClientDb implements Db {
  readonly kind = 'pg' as const;
  constructor(private readonly client: pg.PoolClient) {}

  async query<T>(statement: Sql | string, values?: unknown[]): Promise<QueryResult<T>> {
    const result = await this.client.query(toArgs(statement, values));
    return { rows: result.rows as T[], rowCount: result.rowCount ?? 0 };
  }

  // Already inside a transaction: nested calls join it (batch entries open their own at the top level).
  async transaction<T>(fn: (tx: Db) => Promise<T>): Promise<T> {
    return fn(this);
  }

  async close(): Promise<void> {}
}

export interface PgDbOptions {
  /** PostgreSQL `statement_timeout` of every connection, in ms (0 or unset: none). */
  statementTimeoutMs?: number;
  /** Told of errors on idle pooled connections (restart, failover, network), which the pool then drops. */
  onPoolError?: (err: Error & { code?: string }) => void;
  /** Told when the pool moves to another host of a multi-host URL (failover), with the host's index in the URL. */
  onHostChange?: (index: number) => void;
  /**
   * Seconds a connection is kept before the pool replaces it (0 or unset: for ever). A connection keeps the plan
   * of each named statement it made the first time (see `toArgs`); PostgreSQL plans again when an ANALYZE changes a
   * table's statistics, which without autovacuum never happens: a plan made on a fresh database (tables empty:
   * sequential scans) would be kept for the life of the process. Replacing connections bounds that.
   */
  connectionLifetimeS?: number;
}

/** Db over a node-postgres pool; several hosts in the URL (libpq style) are tried in turn (`pg-hosts.ts`). */
export class PgDb implements Db {
  readonly kind = 'pg' as const;
  private current: pg.Pool;
  private readonly hosts: HostList;
  private hostIndex = 0;
  private reselecting: Promise<void> | undefined;

  constructor(connectionString: string, private readonly poolSize = 10, private readonly options: PgDbOptions = {}) {
    this.hosts = parseHostList(connectionString);
    this.current = this.openPool(this.hosts.urls[0]);
  }

  /** The pool of the host in use (metrics read its counts). */
  get pool(): pg.Pool {
    return this.current;
  }

  /** Whether the URL names several hosts or asks for a primary: then the host is chosen, and chosen again on failover. */
  get choosesHost(): boolean {
    return this.hosts.urls.length > 1 || this.hosts.targetSessionAttrs === 'read-write';
  }

  private openPool(url: string): pg.Pool {
    // A server that does not answer at all (a network partition; a stopped one refuses at once) fails the request
    // with a 503 after 30 s rather than holding it forever. The wait for a free pooled client counts too: 30 s
    // leaves a busy but healthy server its queue.
    // statement_timeout as a connection setting: it bounds every statement, those of transactions included.
    const timeout = this.options.statementTimeoutMs ? ` -c statement_timeout=${this.options.statementTimeoutMs}` : '';
    const pool = new pg.Pool({
      connectionString: url,
      max: this.poolSize,
      connectionTimeoutMillis: 30_000,
      maxLifetimeSeconds: this.options.connectionLifetimeS ?? 0,
      options: `-c plan_cache_mode=force_generic_plan${timeout}`,
    });
    // An idle client losing its connection must not crash the process: the pool drops it and opens a new one. It is
    // logged: a restart or failover seen only through 503s would leave the operator guessing.
    pool.on('error', (err: Error & { code?: string }) => this.options.onPoolError?.(err));
    return pool;
  }

  /**
   * Picks the first usable host (a primary under `read-write`), starting with the one in use; the pool moves there.
   * One search at a time; none found leaves things as they are (the next failure searches again).
   */
  selectHost(): Promise<void> {
    if (!this.choosesHost) return Promise.resolve();
    return (this.reselecting ??= (async () => {
      try {
        const n = this.hosts.urls.length;
        for (let k = 0; k < n; k++) {
          const i = (this.hostIndex + k) % n;
          if (!(await isUsableHost(this.hosts.urls[i], this.hosts.targetSessionAttrs))) continue;
          if (i !== this.hostIndex) {
            const old = this.current;
            this.hostIndex = i;
            this.current = this.openPool(this.hosts.urls[i]);
            this.options.onHostChange?.(i);
            void old.end().catch(() => undefined);
          }
          return;
        }
      } finally {
        this.reselecting = undefined;
      }
    })());
  }

  /**
   * The error a request gets. A lost connection, or a server that turned read-only under a write (SQLSTATE 25006: it
   * became a standby), sends the pool looking for the primary, and the request a 503: it was not acknowledged.
   */
  private failed(err: unknown): never {
    const readOnly = (err as { code?: unknown } | null)?.code === '25006';
    if (this.choosesHost && (readOnly || isConnectionLoss(err))) {
      void this.selectHost();
      throw databaseUnavailable();
    }
    return rethrowAsUnavailable(err);
  }

  async query<T>(statement: Sql | string, values?: unknown[]): Promise<QueryResult<T>> {
    const result = await this.current.query(toArgs(statement, values)).catch((err: unknown) => this.failed(err));
    return { rows: result.rows as T[], rowCount: result.rowCount ?? 0 };
  }

  async transaction<T>(fn: (tx: Db) => Promise<T>): Promise<T> {
    const client = await this.current.connect().catch((err: unknown) => this.failed(err));
    // A checked-out client has no listener of the pool's: without ours, a server restart during the transaction
    // emits an unhandled 'error' and ends the process. The failing query rejects on its own; the client is destroyed.
    let lost: Error | undefined;
    const onError = (err: Error) => {
      if (!lost) this.options.onPoolError?.(err);
      lost ??= err;
    };
    client.on('error', onError);
    const tx = new PgClientDb(client);
    beginSettling(tx);
    let committed = false;
    try {
      // Writes choose their plans as PostgreSQL would by default (see toArgs): a document import planned generically
      // cost the database twice the CPU.
      await client.query('BEGIN; SET LOCAL plan_cache_mode = auto');
      const result = await fn(tx);
      await client.query('COMMIT');
      committed = true;
      return result;
    } catch (err) {
      if (!lost) await client.query('ROLLBACK').catch((rollbackError: Error) => (lost ??= rollbackError));
      // A transaction that lost its connection was not acknowledged: whether COMMIT reached the server or not, the
      // client is told to retry (503), never that it failed for a reason of its own.
      if (isConnectionLoss(lost)) return this.failed(lost);
      return this.failed(err);
    } finally {
      client.removeListener('error', onError);
      // A broken connection goes back destroyed, so the pool opens a fresh one once the server is back.
      client.release(lost);
      settle(tx, committed);
    }
  }

  async close(): Promise<void> {
    await this.current.end();
  }
}
