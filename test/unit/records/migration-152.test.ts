import { cpSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { migrate, migrationsDir } from '../../../src/store/migrate';
import { PgliteDb } from '../../../src/store/pglite-db';
import { sql } from '../../../src/store/sql';

test('migration 152 dates the records closed before it from their Patient\'s last update, with no reason', async () => {
  const before = mkdtempSync(path.join(tmpdir(), 'dmp-mig-'));
  for (const file of readdirSync(migrationsDir()).filter((f) => f < '152_')) cpSync(path.join(migrationsDir(), file), path.join(before, file));
  const db = await PgliteDb.open();
  try {
    await migrate(db, before);
    await db.query(sql`INSERT INTO resource (type, id, version_id, last_updated, compartment, content, text)
      VALUES ('Patient', 'old', 3, '2020-05-01T08:00:00Z', 'old', '{}', '{}'), ('Patient', 'open', 1, '2021-01-01T00:00:00Z', 'open', '{}', '{}')`);
    await db.query(sql`INSERT INTO access_record (patient_id, closed) VALUES ('old', true), ('open', false)`);
    expect(await migrate(db)).toContain('152_record_closure_and_purge.sql');
    const { rows } = await db.query<{ patient_id: string; closed_at: Date | null; closure_reason: string | null }>(
      sql`SELECT patient_id, closed_at, closure_reason FROM access_record ORDER BY patient_id`,
    );
    expect(rows).toEqual([
      { patient_id: 'old', closed_at: new Date('2020-05-01T08:00:00Z'), closure_reason: null },
      { patient_id: 'open', closed_at: null, closure_reason: null },
    ]);
  } finally {
    await db.close();
    rmSync(before, { recursive: true, force: true });
  }
});
