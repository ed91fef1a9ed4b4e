import { ChainHeads } from '../../src/audit/chain-heads';
import { AUTOVACUUM_OFF_WARNING, runsWithoutAutovacuum } from '../../src/store/autovacuum-check';
import type { Db } from '../../src/store/db';
import { planEachTime, sql } from '../../src/kernel/sql';
import { PgDb } from '../../src/store/pg-db';
import { readStatCounter } from '../support/pg-stat';
import { createTestDb, type TestDb } from '../support/test-db';

// A named statement keeps the plan its connection made the first time it ran it (force_generic_plan). Made while
// `audit_chain_head` was empty, that plan is a sequential scan, and without an ANALYZE to invalidate it (autovacuum
// off, as on our CI machines, or not run yet) every audit flush then read the whole table: at 1M documents, 2,344
// scans of 12,000 rows on average in one bench round. Look-ups in tables that start empty are planned at each call.

const url = process.env.TEST_DATABASE_URL;
const describePg = url ? describe : describe.skip;
if (!url) {
  test('plans of growing tables (PostgreSQL only)', () => {
    console.log('plans-of-growing-tables tests not run: TEST_DATABASE_URL is not set (PGlite has no prepared-plan cache per connection)');
  });
}

const LOOKUP = (chains: string[]) => sql`SELECT chain, seq, hash FROM audit_chain_head WHERE chain = ANY(${chains}::text[])`;

describePg('look-ups in tables that start empty', () => {
  let t: TestDb;
  let db: PgDb;
  beforeAll(async () => {
    t = await createTestDb('pg');
    // One connection: every statement below runs on the connection whose plans are being looked at.
    db = new PgDb(t.url as string, 1);
    // As with autovacuum off (our CI machines): where it is on, an ANALYZE landing mid-test would re-plan the named
    // statement and hide the trap this test shows (its own throw-away database).
    await db.query('ALTER TABLE audit_chain_head SET (autovacuum_enabled = false)');
    await db.query('ANALYZE audit_chain_head');
  });
  afterAll(async () => {
    await db?.close();
    await t?.drop();
  });

  /** Sequential scans of audit_chain_head counted so far. */
  const seqScans = () => readStatCounter(db, t.url as string, `SELECT seq_scan AS n FROM pg_stat_user_tables WHERE relname = 'audit_chain_head'`);

  async function growTo(rows: number): Promise<void> {
    await db.query(`INSERT INTO audit_chain_head (chain, seq, hash) SELECT 'chain-' || n, 1, 'h' FROM generate_series(1, ${rows}) AS n ON CONFLICT DO NOTHING`);
  }

  it('are not kept as named statements', async () => {
    await db.query(LOOKUP(['a']));
    await db.query(planEachTime(LOOKUP(['b'])));
    const { rows } = await db.query<{ statement: string }>(`SELECT statement FROM pg_prepared_statements WHERE statement LIKE '%audit_chain_head%'`);
    expect(rows).toHaveLength(1); // the unmarked one only
  });

  it('use the index once the table has grown, where a named statement planned on the empty table scans it', async () => {
    // The named statement was first planned above, on the empty table.
    await growTo(20_000);
    const before = await seqScans();
    for (let i = 0; i < 5; i++) await db.query(LOOKUP([`chain-${i * 7 + 1}`]));
    const afterNamed = await seqScans();
    expect(afterNamed - before).toBe(5); // the trap, still there for statements not marked

    for (let i = 0; i < 5; i++) await db.query(planEachTime(LOOKUP([`chain-${i * 11 + 3}`])));
    expect(await seqScans()).toBe(afterNamed);
  });

  it("the audit writer's chain heads are looked up through the index", async () => {
    const heads = new ChainHeads();
    const before = await seqScans();
    await heads.load(db, ['chain-42', 'chain-4242', 'no-such-chain']);
    expect(await seqScans()).toBe(before);
    expect(heads.get('chain-42')).toEqual({ seq: 1, hash: 'h' });
    expect(heads.get('no-such-chain')?.seq).toBe(0);
  });
});

describePg('connections are replaced after DB_CONNECTION_LIFETIME_S', () => {
  let t: TestDb;
  beforeAll(async () => {
    t = await createTestDb('pg');
  });
  afterAll(async () => {
    await t?.drop();
  });

  it('so that their plans are made again against the tables as they are now', async () => {
    const db = new PgDb(t.url as string, 1, { connectionLifetimeS: 1 });
    const lasting = new PgDb(t.url as string, 1);
    try {
      const pid = async (d: PgDb) => (await d.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0].pid;
      const [first, kept] = [await pid(db), await pid(lasting)];
      await new Promise((r) => setTimeout(r, 1500));
      expect(await pid(db)).not.toBe(first);
      expect(await pid(lasting)).toBe(kept); // 0 = for ever (the pool's own idle timeout is 10 s)
    } finally {
      await db.close();
      await lasting.close();
    }
  });
});

describe('the start-up warning about autovacuum', () => {
  const answering = (kind: 'pg' | 'pglite', autovacuum: string) => {
    const asked: string[] = [];
    const db = { kind, query: async (text: string) => (asked.push(text), { rows: [{ autovacuum }], rowCount: 1 }) } as unknown as Db;
    return { db, asked };
  };

  it('is due when PostgreSQL runs without autovacuum, and says what to do', async () => {
    expect(await runsWithoutAutovacuum(answering('pg', 'off').db)).toBe(true);
    expect(AUTOVACUUM_OFF_WARNING).toMatch(/autovacuum off.*ANALYZE/);
  });

  it('is not due with autovacuum on, nor for PGlite (which is not asked)', async () => {
    expect(await runsWithoutAutovacuum(answering('pg', 'on').db)).toBe(false);
    const pglite = answering('pglite', 'off');
    expect(await runsWithoutAutovacuum(pglite.db)).toBe(false);
    expect(pglite.asked).toHaveLength(0);
  });
});
