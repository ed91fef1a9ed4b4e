import { migrate } from '../../../src/store/migrate';
import { PgliteDb } from '../../../src/store/pglite-db';

/** A fresh in-memory PGlite database with every migration applied by the store's own runner. */
export async function openTestDb(): Promise<PgliteDb> {
  const db = await PgliteDb.open();
  await migrate(db);
  return db;
}
