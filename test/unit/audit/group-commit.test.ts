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

  it('counts its flushes, the items they wrote and the time they took', async () => {
    const gc = new GroupCommit<number>(() => new Promise((r) => setTimeout(r, 30)));
    await gc.submit([1, 2]);
    await gc.submit([3]);
    expect(gc.stats).toMatchObject({ flushes: 2, items: 3, largestBatch: 2 });
    expect(gc.stats.flushMs).toBeGreaterThanOrEqual(55);
  });

  it('never puts more than maxBatch items in one flush unless one caller brings more', async () => {
    const sizes: number[] = [];
    const gc = new GroupCommit<number>(async (items) => void sizes.push(items.length), 3);
    await Promise.all([gc.submit([1, 2]), gc.submit([3, 4]), gc.submit([5, 6, 7, 8])]);
    expect(sizes).toEqual([2, 2, 4]);
  });
});

describe('group commit with several flushes in flight', () => {
  it('starts a second flush while the first one waits, and idle() waits for both', async () => {
    let inFlight = 0;
    let most = 0;
    const releases: (() => void)[] = [];
    const gc = new GroupCommit<number>(
      async () => {
        inFlight++;
        most = Math.max(most, inFlight);
        await new Promise<void>((r) => releases.push(r));
        inFlight--;
      },
      500,
      2,
    );
    const first = gc.submit([1]);
    await new Promise((r) => setImmediate(r));
    const second = gc.submit([2]);
    const third = gc.submit([3]);
    while (releases.length < 2) await new Promise((r) => setImmediate(r));
    expect(most).toBe(2);
    let idle = false;
    const waiting = gc.idle().then(() => (idle = true));
    while (releases.length) {
      releases.shift()?.();
      await new Promise((r) => setTimeout(r, 5));
    }
    await Promise.all([first, second, third, waiting]);
    expect(idle).toBe(true);
    expect(gc.stats.items).toBe(3);
  });
});
