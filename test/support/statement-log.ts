import type { Db } from '../../src/store/db';
import { Sql } from '../../src/store/sql';

/** The statements sent through a database while a log is on (whitespace folded), `BEGIN` for each transaction begun. */
export interface StatementLog {
  db: Db;
  /** Runs `fn` and answers what it sent; statements matching `ignore` (work beside the requests) are left out. */
  during(fn: () => Promise<void>, ignore?: RegExp): Promise<string[]>;
}

/** Wraps `db` so that tests can say which statements a request sends (a statement added to a hot path fails them). */
export function statementLog(db: Db): StatementLog {
  let sent: string[] | undefined;
  let ignored: RegExp | undefined;
  const note = (what: string) => {
    const text = what.replace(/\s+/g, ' ').trim();
    if (sent && !ignored?.test(text)) sent.push(text);
  };
  // A transaction's statements run on its own `tx`: wrapped too, so that they are counted like the others.
  const wrap = (inner: Db): Db => new Proxy(inner, {
    get(target, property) {
      if (property === 'query') {
        return (statement: Sql | string, values?: unknown[]) => {
          note(statement instanceof Sql ? statement.toQuery().text : statement);
          return target.query(statement, values);
        };
      }
      if (property === 'transaction') {
        return <T>(fn: (tx: Db) => Promise<T>) => {
          note('BEGIN');
          return target.transaction((tx) => fn(wrap(tx)));
        };
      }
      const value = Reflect.get(target, property, target) as unknown;
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return {
    db: wrap(db),
    async during(fn, ignore) {
      sent = [];
      ignored = ignore;
      try {
        await fn();
        return sent;
      } finally {
        sent = undefined;
        ignored = undefined;
      }
    },
  };
}
