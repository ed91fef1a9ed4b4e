import type { Db, Statements } from './db';

/**
 * Callbacks to run once the transaction a `tx` belongs to has ended (committed or rolled back). In-process
 * caches derived from rows use it: they are invalidated when a write begins and again when it ends, because
 * between the two a concurrent reader still sees the old rows and could refill the cache with them.
 */
type SettledCallback = (committed: boolean) => void;
/**
 * A transaction's connection, or the WriteTransaction a write hook was given for it: keyed by identity, so any other
 * object that runs statements is "not inside a transaction of ours".
 */
type InTransaction = Statements;
const callbacks = new WeakMap<InTransaction, SettledCallback[]>();

/**
 * Runs `cb` when the transaction of `tx` ends, telling whether it committed; at once (as committed: the
 * statement ran on its own) when `tx` is not inside a transaction of ours.
 */
export function onSettled(tx: InTransaction, cb: SettledCallback): void {
  const list = callbacks.get(tx);
  if (list) list.push(cb);
  else cb(true);
}

/** Called by the drivers: `tx` is a transaction's connection from now until `settle`. */
export function beginSettling(tx: Db): void {
  callbacks.set(tx, []);
}

/** Called by the drivers when the transaction of `tx` has committed or rolled back. */
export function settle(tx: Db, committed: boolean): void {
  const list = callbacks.get(tx) ?? [];
  callbacks.delete(tx);
  for (const cb of list) cb(committed);
}

/** `wrapper` runs its statements on `tx` (e.g. a write-behind connection): callbacks given for it wait for `tx`. */
export function settleWith(wrapper: InTransaction, tx: Db): void {
  const list = callbacks.get(tx);
  if (list) callbacks.set(wrapper, list);
}
