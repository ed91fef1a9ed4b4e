import type { Db } from '../../src/store/db';
import { Repository } from '../../src/store/repository';
import type { WriteTransaction } from '../../src/store/write-transaction';
import { writeTransactionOf } from '../../src/system/system-repository';

/**
 * Runs `fn` inside a repository transaction on `db`, given that transaction's WriteTransaction: what the store hands its
 * write hooks, which a test calling a hook directly needs (a raw `Db` is not one). Like a write, what the transaction
 * owes (its audit events) is stored before it commits, and a throw rolls it all back.
 */
export function inWriteTransaction<T>(db: Db, fn: (tx: WriteTransaction) => Promise<T>): Promise<T> {
  return new Repository(db).transaction((repo) => {
    const tx = writeTransactionOf(repo);
    if (!tx) throw new Error('a repository transaction has a write transaction');
    return fn(tx);
  });
}
