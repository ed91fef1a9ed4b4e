import { PgliteDb } from '../../src/store/pglite-db';
import { onSettled } from '../../src/store/settle';
import { WriteBehindDb } from '../../src/store/write-behind-db';

describe('callbacks run when a transaction ends', () => {
  let db: PgliteDb;
  beforeAll(async () => {
    db = await PgliteDb.open();
  });
  afterAll(() => db.close());

  it('run after COMMIT (told so), also when given the write-behind connection wrapping the transaction', async () => {
    const seen: string[] = [];
    await db.transaction(async (tx) => {
      onSettled(tx, (committed) => seen.push(`tx:${committed}`));
      onSettled(new WriteBehindDb(tx), (committed) => seen.push(`wrapped:${committed}`));
      await tx.query('SELECT 1');
      expect(seen).toEqual([]);
    });
    expect(seen).toEqual(['tx:true', 'wrapped:true']);
  });

  it('run after ROLLBACK, told that nothing was committed', async () => {
    const seen: boolean[] = [];
    await expect(db.transaction(async (tx) => {
      onSettled(new WriteBehindDb(tx), (committed) => seen.push(committed));
      throw new Error('boom');
    })).rejects.toThrow('boom');
    expect(seen).toEqual([false]);
  });

  it('run at once outside a transaction', () => {
    const seen: boolean[] = [];
    onSettled(db, (committed) => seen.push(committed));
    expect(seen).toEqual([true]);
  });
});
