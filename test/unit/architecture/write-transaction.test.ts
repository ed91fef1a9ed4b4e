import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AuditHooks } from '../../../src/audit/audit-hooks';
import type { RequestContext, WriteEvent } from '../../../src/fhir/context';
import type { Db, Statements, Transactions } from '../../../src/store/db';
import type { OwnTransactionsOf, ScopedRepository, StatementsOf } from '../../../src/store/scoped-repository';
import type { WriteHooks } from '../../../src/store/write-hooks';
import type { WriteTransaction } from '../../../src/store/write-transaction';
import { ownTransactionsOf, statementsOf, SystemRepository } from '../../../src/system/system-repository';
import { importsUnder, isUnder, ROOT, sourceFiles } from './import-graph';

// Issue 11: a write hook gets the write's transaction as a `WriteTransaction` (src/store/write-transaction.ts) — the
// statements and write-behind work of that transaction — never a raw `Db` it could open transactions on, close, or hand
// to system work. The type is nominal (a private field), only the store builds one, and the one way from it back to a
// repository is a named system function that only the listed hooks may call.

/** `import { a, type B } from '…'` and `import type { C } from '…'` → every name imported from the target module. */
function importedNames(file: string, target: RegExp): string[] {
  const text = readFileSync(join(ROOT, file), 'utf8');
  const names: string[] = [];
  for (const m of text.matchAll(/(?:import|export)\s+(?:type\s+)?\{([^}]*)\}\s*from\s*['"]([^'"]+)['"]/g)) {
    if (!target.test(m[2])) continue;
    for (const part of m[1].split(',').map((p) => p.trim()).filter(Boolean)) names.push(part.replace(/^type\s+/, '').split(/\s+as\s+/)[0]);
  }
  return names;
}

/** The source files (outside `exempt` folders) importing any of `names` from the module matched by `target`. */
function importersOf(names: string[], target: RegExp, exempt: string[] = []): string[] {
  return sourceFiles('src')
    .filter((file) => !exempt.some((folder) => isUnder(file, folder)))
    .filter((file) => importedNames(file, target).some((name) => names.includes(name)))
    .sort();
}

/** The write hooks of the access, audit, records and documents modules (and what they share): no `Db` in them at all. */
const HOOK_FILES = [
  'src/store/write-hooks.ts',
  'src/access/access-hooks.ts',
  'src/access/activation-hooks.ts',
  'src/access/record-created-notice.ts',
  'src/records/record-life-hooks.ts',
  'src/audit/audit-hooks.ts',
  'src/audit/account-events-of-write.ts',
  'src/audit/transaction-scope.ts',
  'src/documents/document-key.ts',
  'src/documents/replacement.ts',
  'src/documents/cda-binary-guard.ts',
  'src/documents/source-patient-guard.ts',
];

/**
 * The modules outside the store and the system layer that still import the `Db` type, and why: each owns the server's
 * connection (opens it, closes it, or builds the system repository on it). Hooks and what they call take a
 * WriteTransaction; helpers take `Statements` when statements are all they run, `Transactions` when they commit apart
 * (src/store/db.ts); system services the system repository. The list only shrinks: a new importer is a design decision.
 */
const DB_IMPORTERS: Record<string, string> = {
  'src/app.ts': 'the composition root: takes the server connection and builds the system repository on it',
  'src/server.ts': 'the process: opens the server connection and closes it',
  'src/wiring.ts': 'the wiring contract: each wiring gets the server connection to build its system services on',
  'src/http/metrics.ts': "reads the pool gauges of the server's connection (a PgDb's pool)",
  'src/cli/majority-handover.ts': 'command line: runs the job on a connection it opens (or one a test gives)',
  'src/cli/purge-records.ts': 'command line: runs the job on a connection it opens (or one a test gives)',
  'src/cli/record-job-cli.ts': 'command line: opens the connection the record jobs run on, and closes it',
  'src/cli/command.ts': 'command line: opens the configured connection a command runs on, and closes it',
  'src/cli/resend-notices.ts': 'command line: reads and resets the outbox on a connection it opens, and closes it',
};

describe('the write transaction a hook is given', () => {
  it('is nominal: a raw Db, or an object with the same methods, is not one (checked by the type checker)', () => {
    const rawDb: Db extends WriteTransaction ? 'accepts a raw Db' : 'nominal' = 'nominal';
    const forged: Pick<WriteTransaction, 'query' | 'queryBeside' | 'isQueued' | 'queueSide' | 'owe' | 'owes'> extends WriteTransaction ? 'forgeable' : 'nominal' = 'nominal';
    // And it offers no way out of the write's transaction: no nested transaction, no close, no driver kind.
    const noTransaction: 'transaction' extends keyof WriteTransaction ? 'has transaction' : 'statements only' = 'statements only';
    const noClose: 'close' extends keyof WriteTransaction ? 'has close' : 'statements only' = 'statements only';
    const noKind: 'kind' extends keyof WriteTransaction ? 'has kind' : 'statements only' = 'statements only';
    // What only runs statements still takes it (helpers shared with system work take `Statements`).
    const statements: WriteTransaction extends Statements ? 'runs statements' : 'no statements' = 'runs statements';
    expect([rawDb, forged, noTransaction, noClose, noKind, statements]).toEqual(['nominal', 'nominal', 'statements only', 'statements only', 'statements only', 'runs statements']);
  });

  it('is what the store passes its hooks, and a raw Db passed to a hook does not compile (checked by the type checker)', () => {
    type Before = NonNullable<WriteHooks['beforeWrite']>;
    type After = NonNullable<WriteHooks['afterWrite']>;
    const before: Db extends Parameters<Before>[0] ? 'accepts a raw Db' : Parameters<Before>[0] extends WriteTransaction ? 'write transaction' : 'other' = 'write transaction';
    const after: Db extends Parameters<After>[0] ? 'accepts a raw Db' : Parameters<After>[0] extends WriteTransaction ? 'write transaction' : 'other' = 'write transaction';
    const audit: Db extends Parameters<AuditHooks['afterWrite']>[0] ? 'accepts a raw Db' : 'write transaction' = 'write transaction';
    expect([before, after, audit]).toEqual(['write transaction', 'write transaction', 'write transaction']);
    // Never run: the type checker refuses each marked line, and `@ts-expect-error` fails the build if it ever accepts one.
    const neverRun = (db: Db, hooks: WriteHooks, auditHooks: AuditHooks, ctx: RequestContext, event: WriteEvent) => {
      // @ts-expect-error a raw Db is not a WriteTransaction
      void hooks.beforeWrite?.(db, ctx, event);
      // @ts-expect-error a raw Db is not a WriteTransaction
      void hooks.afterWrite?.(db, ctx, event);
      // @ts-expect-error a raw Db is not a WriteTransaction
      void auditHooks.afterWrite(db, ctx, event);
      // @ts-expect-error an object with a `query` is not one either
      void hooks.afterWrite?.({ query: db.query.bind(db) }, ctx, event);
    };
    expect(typeof neverRun).toBe('function');
  });

  it('cannot be met by a hook written against a raw Db (checked by the type checker)', () => {
    const onDb = { async afterWrite(tx: Db): Promise<void> { await tx.transaction(async () => undefined); } };
    const beforeOnDb = { async beforeWrite(tx: Db): Promise<void> { await tx.close(); } };
    // @ts-expect-error a hook that would take a raw Db does not satisfy WriteHooks
    const accepted: WriteHooks = onDb;
    // @ts-expect-error nor does a beforeWrite taking one
    const acceptedBefore: WriteHooks = beforeOnDb;
    // A hook that only runs statements does: it asks for less than it is given.
    const onStatements: WriteHooks = { async afterWrite(tx: Statements): Promise<void> { await tx.query('SELECT 1'); } };
    expect([accepted, acceptedBefore, onStatements].length).toBe(3);
  });

  it('is built only by the store: its opener and the connection under it are imported by repository.ts alone', () => {
    expect(importersOf(['writeTransactionOn', 'connectionOfWrite'], /store\/write-transaction$|^\.\/write-transaction$/)).toEqual(['src/store/repository.ts']);
  });

  it('is the only write-behind connection a module outside the store sees (WriteBehindDb is the store\'s)', () => {
    expect(importersOf(['WriteBehindDb'], /write-behind-db$/, ['src/store'])).toEqual([]);
  });

  it('becomes a repository again only through the named system functions, called by the replacement hook alone', () => {
    // The server's supersede of a replaced document writes in the replacing write's transaction, through the hooks.
    expect(importersOf(['repositoryInWrite', 'bareRepositoryInWrite'], /system\/system-repository$/)).toEqual(['src/documents/replacement.ts']);
    // The write transaction of a request's repository: for the audit's transaction scope, injected by its wiring.
    expect(importersOf(['writeTransactionOf'], /system\/system-repository$/)).toEqual(['src/audit/wiring.ts']);
  });

  it('leaves no `Db` in the write hooks and what they share', () => {
    const mentioning = HOOK_FILES.filter((file) => /\bDb\b/.test(readFileSync(join(ROOT, file), 'utf8').replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '')));
    expect(mentioning).toEqual([]);
  });
});

describe('the Db type', () => {
  it('is imported outside the store and the system layer only by the modules listed, each saying why', () => {
    const importers = importersOf(['Db'], /store\/db$/, ['src/store', 'src/system']);
    expect(importers.length).toBeGreaterThan(0); // the scan finds the ones we know of
    expect(importers.filter((file) => !(file in DB_IMPORTERS))).toEqual([]);
  });

  it('keeps its list exact: every listed module still imports it', () => {
    const importers = new Set(importersOf(['Db'], /store\/db$/, ['src/store', 'src/system']));
    for (const file of Object.keys(DB_IMPORTERS)) expect({ file, imports: importers.has(file) }).toEqual({ file, imports: true });
  });
});

/** What hands out a raw connection: a `Db`, or an object with its `close` or `kind`. */
type HandsConnection<R> = R extends { close: unknown } ? true : R extends { kind: unknown } ? true : false;
/** The same, one level down: a transaction runner whose callback is given a raw connection. */
type HandsConnectionInside<R> = R extends { transaction(fn: (tx: infer Tx) => Promise<unknown>): Promise<unknown> } ? HandsConnection<Tx> : false;
/** The exported functions of a module that answer a raw connection (directly, once awaited, or inside a transaction). */
type ConnectionEscapes<M> = {
  [K in keyof M]: M[K] extends (...args: never[]) => infer R
    ? HandsConnection<Awaited<R>> extends false ? (HandsConnectionInside<Awaited<R>> extends false ? never : K) : K
    : never;
}[keyof M];

describe("the connection under a request's repository", () => {
  // Issue 11: an operation or hook doing system work in its request's transaction gets statements on it (`statementsOf`)
  // or, for the one reservation that commits apart, transactions whose `tx` runs statements (`ownTransactionsOf`) —
  // never the `Db` under the repository, which could open transactions on the server's connection or close it.
  const ran: string[] = [];
  const server: Db = {
    kind: 'pglite',
    query: async (statement) => (ran.push(`${statement}`), { rows: [], rowCount: 0 }),
    transaction: (fn) => fn(server),
    close: async () => undefined,
  };
  beforeEach(() => (ran.length = 0));

  it('is handed out by no export of the system layer (checked by the type checker)', () => {
    // Fails to compile if system-repository.ts exports a function answering a Db again (as `connectionOf` did).
    const escapes: [ConnectionEscapes<typeof import('../../../src/system/system-repository')>] extends [never] ? 'none' : 'a raw connection escapes' = 'none';
    // The check itself: it names a function answering a Db, a Promise of one, or a transaction runner giving one.
    type Probe = { direct(): Db; awaited(): Promise<Db>; inside(): Pick<Db, 'transaction'>; statements(): Statements; own(): Transactions };
    const probe: ConnectionEscapes<Probe> extends 'direct' | 'awaited' | 'inside' ? ('direct' | 'awaited' | 'inside' extends ConnectionEscapes<Probe> ? 'exact' : 'misses one') : 'too wide' = 'exact';
    expect([escapes, probe]).toEqual(['none', 'exact']);
  });

  it('reaches operations only as statements or own transactions running statements (checked by the type checker)', () => {
    const statements: HandsConnection<ReturnType<StatementsOf>> extends false ? ('transaction' extends keyof ReturnType<StatementsOf> ? 'has transaction' : 'statements only') : 'a raw connection' = 'statements only';
    const own: HandsConnection<ReturnType<OwnTransactionsOf>> | HandsConnectionInside<ReturnType<OwnTransactionsOf>> extends false ? 'statements inside' : 'a raw connection' = 'statements inside';
    expect([statements, own]).toEqual(['statements only', 'statements inside']);
  });

  it('is not what statementsOf answers: a handle with a query only, on the same connection', async () => {
    const repo = new SystemRepository(server).scoped();
    const handle = statementsOf(repo);
    expect(handle).not.toBe(server);
    expect(Object.keys(handle)).toEqual(['query']);
    await handle.query('SELECT 1');
    expect(ran).toEqual(['SELECT 1']);
  });

  it('is not what a transaction of ownTransactionsOf is given: a handle with a query only, inside that transaction', async () => {
    let given: Statements | undefined;
    const begun: string[] = [];
    const tracked: Db = { ...server, transaction: (fn) => (begun.push('begin'), fn(server)) };
    await ownTransactionsOf(new SystemRepository(tracked).scoped()).transaction(async (tx) => {
      given = tx;
      await tx.query('SELECT 2');
    });
    expect(given).not.toBe(server);
    expect(Object.keys(given ?? {})).toEqual(['query']);
    expect([begun, ran]).toEqual([['begin'], ['SELECT 2']]);
    // A repository the store did not build (a handler's own object) has no connection to give.
    expect(() => statementsOf({} as ScopedRepository)).toThrow('not a repository built by the store');
    expect(() => ownTransactionsOf({} as ScopedRepository)).toThrow('not a repository built by the store');
  });

  it("is not what the system repository's transactions are given, nor a field of it (checked by the type checker, then at run time)", async () => {
    // System work (activation, reset, purge, majority hand-over, the audit flush's fallback) got the server's connection
    // in its transaction's callback: whatever it called could open transactions of its own or close the connection.
    const inside: HandsConnectionInside<SystemRepository> extends false ? 'statements inside' : 'a raw connection' = 'statements inside';
    const field: 'db' extends keyof SystemRepository ? 'the connection is public' : 'private' = 'private';
    let given: Statements | undefined;
    await new SystemRepository(server).transaction(async (tx) => {
      given = tx;
      await tx.query('SELECT 3');
    });
    expect([inside, field, given === server, Object.keys(given ?? {}), ran]).toEqual(['statements inside', 'private', false, ['query'], ['SELECT 3']]);
  });

  it('is read out of a repository by the system layer alone (`connectionUnder`); the store class is imported by no other module', () => {
    expect(importersOf(['connectionUnder'], /store\/repository$/)).toEqual(['src/system/system-repository.ts']);
    // `Repository` (value or type) gives its public methods (`inWrite`, `writeTransaction`): only the store and the
    // system layer name it; everything else holds a `ScopedRepository`, which has none of them.
    expect(importersOf(['Repository'], /store\/repository$/, ['src/store', 'src/system'])).toEqual([]);
    // Nor through a namespace import (`import * as store from '../store/repository'`, then `store.Repository`).
    const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const whole = importsUnder(['src'])
      .filter((e) => e.target === 'src/store/repository' && !isUnder(e.from, 'src/store') && !isUnder(e.from, 'src/system'))
      .filter((e) => new RegExp(`import\\s*\\*\\s*as\\s+\\w+\\s+from\\s*['"]${escape(e.specifier)}['"]`).test(readFileSync(join(ROOT, e.from), 'utf8')))
      .map((e) => e.from);
    expect(whole).toEqual([]);
  });
});
