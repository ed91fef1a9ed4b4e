import { FhirError } from '../../src/fhir/errors';
import { PgDb } from '../../src/store/pg-db';
import { createTestDb, type TestDb } from '../support/test-db';

// STATEMENT_TIMEOUT_MS: every statement of a PostgreSQL connection is bounded, those inside transactions too, and
// one stopped by it answers 503 + Retry-After (not a 500). PGlite cannot cancel a statement: PostgreSQL only.

const url = process.env.TEST_DATABASE_URL;
const describePg = url ? describe : describe.skip;
if (!url) {
  test('statement timeout (PostgreSQL only)', () => {
    console.log('statement-timeout tests not run: TEST_DATABASE_URL is not set (PGlite has no statement_timeout)');
  });
}

describePg('a statement over STATEMENT_TIMEOUT_MS', () => {
  let t: TestDb;
  let db: PgDb;
  beforeAll(async () => {
    t = await createTestDb('pg');
    db = new PgDb(t.url as string, 2, { statementTimeoutMs: 200 });
  });
  afterAll(async () => {
    await db?.close();
    await t?.drop();
  });

  const expect503 = (err: unknown) => {
    expect(err).toBeInstanceOf(FhirError);
    expect((err as FhirError).status).toBe(503);
    expect((err as FhirError).headers['Retry-After']).toBeDefined();
    expect((err as FhirError).outcome.issue[0]).toMatchObject({ code: 'timeout' });
  };

  it('is stopped and answers 503 with Retry-After', async () => {
    const started = Date.now();
    expect503(await db.query('SELECT pg_sleep(5)').catch((e: unknown) => e));
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('is stopped inside a transaction too, which is rolled back, and the pool keeps working', async () => {
    await db.query('CREATE TABLE IF NOT EXISTS timeout_probe (n int)');
    const err = await db.transaction(async (tx) => {
      await tx.query('INSERT INTO timeout_probe VALUES (1)');
      await tx.query('SELECT pg_sleep(5)');
    }).catch((e: unknown) => e);
    expect503(err);
    expect((await db.query<{ n: number }>('SELECT count(*)::int AS n FROM timeout_probe')).rows[0].n).toBe(0);
  });
});
