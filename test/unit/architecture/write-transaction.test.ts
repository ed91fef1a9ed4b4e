import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AuditHooks } from '../../../src/audit/audit-hooks';
import type { RequestContext, WriteEvent } from '../../../src/fhir/context';
import type { Db, Statements } from '../../../src/store/db';
import type { WriteHooks } from '../../../src/store/write-hooks';
import type { WriteTransaction } from '../../../src/store/write-transaction';
import { isUnder, ROOT, sourceFiles } from './import-graph';

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
 * The modules outside the store and the system layer that still import the `Db` type, and why. Hooks and what they
 * call take a WriteTransaction, or `Statements` when statements are all they run; these hold a connection or open
 * transactions of their own (system work). The list only shrinks: a new importer is a design decision, said here.
 */
const DB_IMPORTERS: Record<string, string> = {
  'src/app.ts': 'the composition root: takes the server connection and builds the system repository on it',
  'src/server.ts': 'the process: opens the server connection and closes it',
  'src/wiring.ts': 'the wiring contract: each wiring gets the server connection to build its system services on',
  'src/http/metrics.ts': "reads the pool gauges of the server's connection (a PgDb's pool)",
  'src/cli/majority-handover.ts': 'command line: runs the job on a connection it opens (or one a test gives)',
  'src/cli/purge-records.ts': 'command line: runs the job on a connection it opens (or one a test gives)',
  'src/cli/record-job-cli.ts': 'command line: opens the connection the record jobs run on',
  'src/cli/resend-notices.ts': 'command line: reads and resets the outbox on a connection it opens',
  'src/audit/audit-writer.ts': "stores events in a hook's WriteTransaction or in a transaction the system opened (group commit, record jobs): `AuditTransaction`",
  'src/records/handover-audit.ts': "the majority hand-over's audit, in the job's own transaction (SystemRepository.transaction)",
  'src/records/majority-handover.ts': 'background job: hands each record over in a transaction it opens on the system repository',
  'src/access/minor-opening-limits.ts': "reserves a parent's opening attempt in a transaction of its own, committed before the opening runs",
  'src/auth/patient-login.ts': 'system service: sign-in, with transactions of its own (credential, challenges)',
  'src/auth/account-attempts.ts': "system service: an account procedure's attempt counters, on the service's connection",
  'src/auth/login-attempts.ts': "system service: the sign-in attempt counters, on the service's connection",
  'src/smart/authorization-codes.ts': "system service: the SMART server's codes, in the token endpoint's transaction",
  'src/smart/client-auth.ts': "system service: a client assertion's jti, remembered in a transaction of its own",
  'src/smart/refresh-tokens.ts': 'system service: refresh-token families, rotated in transactions of their own',
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
