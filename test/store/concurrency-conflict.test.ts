import { FhirError } from '../../src/fhir/errors';
import { PgDb } from '../../src/store/pg-db';
import { createTestDb, type TestDb } from '../support/test-db';

// Two transactions that lock the same rows in opposite orders: PostgreSQL breaks the deadlock by rolling one back
// (40P01). Its request was answered 500, with nothing a client could do; it is a 503 to retry, and nothing was written.
// (Two MHD submissions naming the same two new directory entries in opposite orders can meet this.) PostgreSQL only.

const url = process.env.TEST_DATABASE_URL;
const describePg = url ? describe : describe.skip;
if (!url) {
  test('concurrency conflicts (PostgreSQL only)', () => {
    console.log('concurrency-conflict tests not run: TEST_DATABASE_URL is not set (PGlite runs one transaction at a time)');
  });
}

describePg('a transaction rolled back for a concurrent one', () => {
  let t: TestDb;
  let db: PgDb;
  beforeAll(async () => {
    t = await createTestDb('pg');
    db = new PgDb(t.url as string, 4);
    await db.query('CREATE TABLE conflict_probe (n int PRIMARY KEY, v int)');
    await db.query('INSERT INTO conflict_probe VALUES (1, 0), (2, 0)');
  });
  afterAll(async () => {
    await db?.close();
    await t?.drop();
  });

  it('answers 503 with Retry-After for the deadlock victim, writes nothing of it, and the other commits', async () => {
    const both = { ready: 0 };
    const meet = async () => {
      both.ready++;
      while (both.ready < 2) await new Promise((r) => setTimeout(r, 5));
    };
    const crossing = (first: number, second: number) => db.transaction(async (tx) => {
      await tx.query(`UPDATE conflict_probe SET v = v + 1 WHERE n = ${first}`);
      await meet();
      await tx.query(`UPDATE conflict_probe SET v = v + 10 WHERE n = ${second}`);
      return 'committed';
    }).catch((e: unknown) => e);
    const outcomes = await Promise.all([crossing(1, 2), crossing(2, 1)]);
    const failed = outcomes.filter((o) => o !== 'committed');
    expect(failed).toHaveLength(1);
    const err = failed[0] as FhirError;
    expect(err).toBeInstanceOf(FhirError);
    expect([err.status, err.headers['Retry-After'], err.outcome.issue[0].code]).toEqual([503, '1', 'transient']);
    // The winner's two updates (+1 and +10 on different rows) and nothing of the victim's.
    const { rows } = await db.query<{ total: number }>('SELECT sum(v)::int AS total FROM conflict_probe');
    expect(rows[0].total).toBe(11);
  });
});
