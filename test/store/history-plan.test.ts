import { readHistoryPage } from '../../src/store/history-page';
import { PgDb } from '../../src/store/pg-db';
import { TRUE } from '../../src/store/sql';
import { readStatCounter } from '../support/pg-stat';
import { createTestDb, type TestDb } from '../support/test-db';

// Migration 212 keeps AuditEvents out of `resource_type_updated` (`WHERE NOT deleted AND type <> 'AuditEvent'`). A
// generic plan can use such a partial index only when it can prove the type is not 'AuditEvent', i.e. when the type is
// written into the statement: with `h.type = $1`, a type's history (`GET /DocumentReference/_history`) scanned
// `resource` and `resource_history` whole (0.8–4.4 s on 300,000 events). The server runs generic plans.

const url = process.env.TEST_DATABASE_URL;
const describePg = url ? describe : describe.skip;
if (!url) {
  test('history plan (PostgreSQL only)', () => {
    console.log('history-plan tests not run: TEST_DATABASE_URL is not set (PGlite: no generic plans to look at)');
  });
}

describePg("a type's history reads the type's live rows through resource_type_updated", () => {
  let t: TestDb;
  let db: PgDb;
  beforeAll(async () => {
    t = await createTestDb('pg');
    db = new PgDb(t.url as string, 1); // one connection: the settings below hold for every statement
    await db.query(`INSERT INTO resource (type, id, version_id, last_updated, text)
      SELECT 'DocumentReference', 'd' || n, 1, now() - n * interval '1 minute', '{"resourceType":"DocumentReference","id":"d' || n || '"}'
      FROM generate_series(1, 50) AS n`);
    // Generic plans, as the server runs them, and no sequential scan unless nothing else can answer.
    await db.query('SET plan_cache_mode = force_generic_plan');
    await db.query('SET enable_seqscan = off');
  });
  afterAll(async () => {
    await db?.close();
    await t?.drop();
  });

  const typeIndexScans = () => readStatCounter(db, t.url as string, `SELECT idx_scan AS n FROM pg_stat_user_indexes WHERE indexrelname = 'resource_type_updated'`);

  it('uses the partial index (the type is a literal the planner can check against its predicate)', async () => {
    const before = await typeIndexScans();
    const page = await readHistoryPage(db, TRUE, { type: 'DocumentReference', count: 10 });
    expect(page.versions.map((v) => v.id)).toEqual(['d1', 'd2', 'd3', 'd4', 'd5', 'd6', 'd7', 'd8', 'd9', 'd10']);
    expect(await typeIndexScans()).toBeGreaterThan(before);
  });
});
