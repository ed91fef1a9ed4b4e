import { GroupCommit } from '../../../src/audit/group-commit';

describe('group commit', () => {
  it('writes items submitted during a flush together in the next flush', async () => {
    const batches: number[][] = [];
    let release: () => void = () => undefined;
    const gc = new GroupCommit<number>(async (items) => {
      batches.push(items);
      if (batches.length === 1) await new Promise<void>((r) => (release = r));
    });
    const first = gc.submit([1]);
    await new Promise((r) => setImmediate(r));
    const later = [gc.submit([2]), gc.submit([3, 4]), gc.submit([5])];
    release();
    await Promise.all([first, ...later]);
    expect(batches).toEqual([[1], [2, 3, 4, 5]]);
  });

  it('resolves a caller only after its batch is written', async () => {
    let written = false;
    const gc = new GroupCommit<number>(async () => {
      await new Promise((r) => setTimeout(r, 20));
      written = true;
    });
    await gc.submit([1]);
    expect(written).toBe(true);
  });

  it('isolates a failing item so the other callers of its batch still succeed', async () => {
    const gc = new GroupCommit<number>(async (items) => {
      if (items.includes(13)) throw new Error('bad item');
    });
    const results = await Promise.allSettled([gc.submit([1]), gc.submit([13]), gc.submit([2])]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
  });

  it('never puts more than maxBatch items in one flush unless one caller brings more', async () => {
    const sizes: number[] = [];
    const gc = new GroupCommit<number>(async (items) => void sizes.push(items.length), 3);
    await Promise.all([gc.submit([1, 2]), gc.submit([3, 4]), gc.submit([5, 6, 7, 8])]);
    expect(sizes).toEqual([2, 2, 4]);
  });
});
