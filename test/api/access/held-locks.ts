import type { Db } from '../../../src/store/db';

/**
 * Holds what `take` locks in a transaction of its own — as another actor's write in progress would (its owner writing a
 * row, a feeder filing for an INS) — until `release` is called. For tests of what a request waits for (PostgreSQL only:
 * PGlite runs one statement at a time).
 */
export async function holdInTransaction(db: Db, take: (tx: Db) => Promise<unknown>): Promise<{ release: () => Promise<void> }> {
  let release!: () => void;
  let locked!: () => void;
  const released = new Promise<void>((resolve) => { release = resolve; });
  const isLocked = new Promise<void>((resolve) => { locked = resolve; });
  const done = db.transaction(async (tx) => {
    await take(tx);
    locked();
    await released;
  });
  await isLocked;
  return { release: async () => { release(); await done; } };
}

/** The answer's status, or `waited` when none came within `ms` (while a lock was held). */
export async function statusWithin(answer: Promise<{ status: number }>, ms: number): Promise<number | 'waited'> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'waited'>((resolve) => { timer = setTimeout(() => resolve('waited'), ms); });
  try {
    return await Promise.race([answer.then((a) => a.status), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
