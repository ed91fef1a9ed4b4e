import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AccessHooksOptions } from '../../../src/access/access-hooks';
import type { ActorResolver } from '../../../src/access/actor-resolver';
import type { AuditHooksOptions } from '../../../src/audit/audit-hooks';
import type { AuditSystemStore } from '../../../src/audit/audit-system-store';
import type { AuditWriter } from '../../../src/audit/audit-writer';
import type { transactionScopeHook } from '../../../src/audit/transaction-scope';
import type { createActivation } from '../../../src/auth/activation';
import type { createPasswordReset } from '../../../src/auth/password-reset';
import type { PatientLoginOptions } from '../../../src/auth/patient-login';
import type { SourceHitStore } from '../../../src/auth/source-hits';
import type { createNotify } from '../../../src/notify/create-notify';
import type { DispatcherOptions } from '../../../src/notify/dispatcher';
import type { handOverAtMajority } from '../../../src/records/majority-handover';
import type { purgeRecords } from '../../../src/records/purge-job';
import type { Db } from '../../../src/store/db';
import type { createSmartStore } from '../../../src/smart/smart-store';
import type { ScopedRepository } from '../../../src/store/scoped-repository';
import type { SystemRepository } from '../../../src/system/system-repository';
import type { WriteTransaction } from '../../../src/store/write-transaction';
import { describe as describeEdges, importsUnder, isUnder, ROOT, sourceFiles } from './import-graph';

// Handlers hold an access-scoped repository (every read under the request's access predicate); the unscoped system
// repository is reachable only from the modules below. A request handler that needs one piece of system work gets it
// injected by its wiring as a narrow capability (`StatementsOf`, `OwnTransactionsOf` in an operation's options: statements
// on the request's transaction, never its connection), never by importing it.
// Adding a module here is a design decision: say in its line why it does system work.

const SYSTEM_MODULE = 'src/system/system-repository';

const ALLOWED: Record<string, string> = {
  'src/app.ts': 'the composition root: builds the unscoped repository and hands handlers its scoped view',
  'src/access/wiring.ts': "injects statements on the request's transaction into the account and identity operations (codes, notices), and $open-minor-record's own transaction (its attempt counter)",
  'src/audit/wiring.ts': "injects statements on the request's transaction into $verify (the audit chain) and the outbox search, and the write transaction into the Bundle's audit scope",
  'src/access/identity-duplicates.ts': 'an operator service (npm run identity:duplicates), not a request: resolves the duplicate list',
  'src/documents/intake-ledger.ts': "named system service: the import's idempotency ledger, written in the import's transaction",
  'src/documents/replacement.ts': "a write hook: the server's own supersede of a replaced document, in the writer's transaction",
  'src/documents/filed-document.ts': 'intake look-up: the rows a document id already holds, whoever filed them (one document per id across channels)',
  'src/documents/resubmission.ts': 'intake look-up: what an identical re-sent submission filed, to answer it again instead of filing twice',
  'src/smart/wiring.ts': "a wiring: gives the SMART pages' sign-in (the same patient login as POST /auth/login) its system repository",
  // The notifier: the outbox is delivered by a background dispatcher, with no request and no actor.
  'src/notify/dispatcher.ts': 'named system service: claims, sends and settles the outbox rows (background job)',
  'src/notify/create-notify.ts': 'builds the dispatcher the audit wiring starts, handing it the system repository it is given',
  // The account services: they run before any actor exists (sign-in) or for a person proving a code, not for a token.
  'src/auth/patient-login.ts': 'named system service: password and one-time code sign-in, its attempt counters and challenges',
  'src/auth/activation.ts': 'named system service: activation with the code issued at creation (codes, counters, credential)',
  'src/auth/password-reset.ts': 'named system service: password reset by a code sent to a safe contact (codes, counters, credential)',
  'src/auth/source-hits.ts': "named system service: the sign-in throttle's per-address counter, shared by every server process",
  'src/access/actor-resolver.ts': "named system service: completes a token's actor from the directory and access tables, before any access is decided",
  'src/audit/audit-writer.ts': "named system service: the read group commit's flush stores events in their own transaction",
  'src/audit/audit-system-store.ts': "the audit hooks' system-side store (group commit, a refusal's look-ups), bound by the audit wiring",
  'src/smart/smart-store.ts': "named system service: the SMART authorization server's tables (authorizations, codes, refresh families), bound for its routes",
  // The record jobs: background work on a timer (and the records:* commands), with no request and no actor.
  'src/records/wiring.ts': 'a wiring: gives the purge and majority hand-over jobs it schedules their system repository',
  'src/records/purge-job.ts': 'background job: purges records past their retention, one transaction per record, and queues purge notices',
  'src/records/majority-handover.ts': 'background job: hands records over to patients who turned 18, one transaction per record',
};
/** Folders whose every module may use it: the system layer itself, the command-line tools and background jobs. */
const ALLOWED_FOLDERS = ['src/system', 'src/cli'];

const mayImport = (file: string): boolean => file in ALLOWED || ALLOWED_FOLDERS.some((folder) => isUnder(file, folder));

/** `import { A, type B } from '…'` → the names imported by value from a specifier. */
function valueNames(file: string, target: RegExp): string[] {
  const text = readFileSync(join(ROOT, file), 'utf8');
  const names: string[] = [];
  for (const m of text.matchAll(/import\s+(type\s+)?\{([^}]*)\}\s*from\s*['"]([^'"]+)['"]/g)) {
    if (m[1] || !target.test(m[3])) continue;
    for (const part of m[2].split(',').map((p) => p.trim()).filter(Boolean)) {
      if (!part.startsWith('type ')) names.push(part.split(/\s+as\s+/)[0]);
    }
  }
  return names;
}

describe('the system repository', () => {
  it('is imported only by the composition root, wirings, CLIs, jobs and the named system services', () => {
    const users = importsUnder(['src']).filter((e) => e.target === SYSTEM_MODULE);
    expect(users.length).toBeGreaterThan(0); // the scan finds the ones we know of
    expect(describeEdges(users.filter((e) => !mayImport(e.from)))).toEqual([]);
  });

  it('keeps its allow-list exact: every listed module exists and still needs it', () => {
    const users = new Set(importsUnder(['src']).filter((e) => e.target === SYSTEM_MODULE).map((e) => e.from));
    for (const file of Object.keys(ALLOWED)) expect({ file, imports: users.has(file) }).toEqual({ file, imports: true });
  });

  it('is never imported by a request handler, an operation or the HTTP layer', () => {
    const handlers = [
      ...sourceFiles('src/fhir'),
      ...sourceFiles('src/http'),
      ...sourceFiles('src').filter((f) => /-operation\.ts$|-hooks?\.ts$|intercept\.ts$/.test(f)),
    ];
    expect(handlers).toContain('src/fhir/handlers/search.ts');
    const edges = importsUnder(['src']).filter((e) => handlers.includes(e.from) && e.target !== undefined && isUnder(e.target, 'src/system'));
    expect(describeEdges(edges)).toEqual([]);
  });

  it('builds the store class that has a raw connection only in the composition root and the system layer', () => {
    const constructing = sourceFiles('src').filter(
      (file) => !isUnder(file, 'src/store') && !mayImport(file) && valueNames(file, /store\/repository$/).includes('Repository'),
    );
    expect(constructing).toEqual([]);
  });

  it('finds no handler reaching around the type to a repository\'s connection (`repo.db`, `svc.repo.query` …)', () => {
    const reaching = sourceFiles('src')
      .filter((file) => !isUnder(file, 'src/store') && !isUnder(file, 'src/system'))
      .flatMap((file) => readFileSync(join(ROOT, file), 'utf8').split('\n').map((line, i) => ({ file, line: i + 1, text: line })))
      .filter((l) => /\brepo\)?\.(db|query|withDb)\b/.test(l.text) && !/statementsOf\((svc\.)?repo\)/.test(l.text))
      .map((l) => `${l.file}:${l.line}`);
    expect(reaching).toEqual([]);
  });

  it('is what the notifier, the account services and the sign-in throttle hold, never a raw connection (checked by the type checker)', () => {
    // Issue 11: system work goes through the separately named system repository. These lines do not compile if one
    // of these services takes a `db` again, or takes anything but a SystemRepository (a class with private members:
    // only a module allowed to import it can build one, so no request handler can hand these services a connection).
    type Verdict<O> = 'db' extends keyof O ? 'has db' : O extends { system: SystemRepository } ? 'system' : 'not the system repository';
    const verdicts: [
      Verdict<DispatcherOptions>,
      Verdict<Parameters<typeof createNotify>[0]>,
      Verdict<PatientLoginOptions>,
      Verdict<Parameters<typeof createActivation>[0]>,
      Verdict<Parameters<typeof createPasswordReset>[0]>,
      Verdict<{ system: ConstructorParameters<typeof SourceHitStore>[0] }>,
    ] = ['system', 'system', 'system', 'system', 'system', 'system'];
    expect(verdicts).toEqual(['system', 'system', 'system', 'system', 'system', 'system']);
    // A plain object with the same methods is not a SystemRepository: its private members make the type nominal.
    const forged: { query: SystemRepository['query']; transaction: SystemRepository['transaction'] } extends SystemRepository ? 'forgeable' : 'nominal' = 'nominal';
    expect(forged).toBe('nominal');
  });

  it('is what the record jobs (purge, majority hand-over) and the SMART store run on, and a raw connection is refused (checked by the type checker)', () => {
    // Issue 11: these lines do not compile if a job takes a raw `Db` again (a Db is not a SystemRepository: it lacks
    // its private members).
    type Takes<F extends (...args: never[]) => unknown> = Db extends Parameters<F>[0] ? 'accepts a raw Db' : Parameters<F>[0] extends SystemRepository ? 'system' : 'other';
    const verdicts: [Takes<typeof purgeRecords>, Takes<typeof handOverAtMajority>, Takes<typeof createSmartStore>] = ['system', 'system', 'system'];
    expect(verdicts).toEqual(['system', 'system', 'system']);
  });

  it('is what the access hooks resolve actors on, through a resolver built by the wiring: a raw connection is refused (checked by the type checker)', () => {
    // Issue 11: the access hooks hold an ActorResolver (a class with private members, built on the system repository
    // by access/wiring.ts), never a `db`; the resolver itself takes the system repository, not a raw `Db`.
    const hooks: 'db' extends keyof AccessHooksOptions ? 'has db' : Db extends AccessHooksOptions['actors'] ? 'accepts a raw Db' : AccessHooksOptions['actors'] extends ActorResolver ? 'resolver' : 'other' = 'resolver';
    const resolver: Db extends ConstructorParameters<typeof ActorResolver>[0] ? 'accepts a raw Db' : ConstructorParameters<typeof ActorResolver>[0] extends SystemRepository ? 'system' : 'other' = 'system';
    expect([hooks, resolver]).toEqual(['resolver', 'system']);
  });

  it("is what the audit hooks' writer and look-ups run on, through a store built by the wiring: a raw connection is refused (checked by the type checker)", () => {
    // Issue 11: the audit hooks hold an AuditSystemStore (private members, built on the system repository by
    // audit/wiring.ts), never a `db`; the writer's own-transaction append takes the system repository; the transaction
    // scope gets the write transaction of a request's repository (a WriteTransaction, statements only), not a connection.
    const hooks: 'db' extends keyof AuditHooksOptions ? 'has db' : Db extends AuditHooksOptions['store'] ? 'accepts a raw Db' : AuditHooksOptions['store'] extends AuditSystemStore ? 'store' : 'other' = 'store';
    const store: Db extends ConstructorParameters<typeof AuditSystemStore>[0] ? 'accepts a raw Db' : ConstructorParameters<typeof AuditSystemStore>[0] extends SystemRepository ? 'system' : 'other' = 'system';
    const append: Db extends Parameters<AuditWriter['append']>[0] ? 'accepts a raw Db' : Parameters<AuditWriter['append']>[0] extends SystemRepository ? 'system' : 'other' = 'system';
    type ScopeGets = ReturnType<Parameters<typeof transactionScopeHook>[0]>;
    const scope: Db extends Parameters<typeof transactionScopeHook>[0] ? 'accepts a raw Db' : Db extends ScopeGets ? 'gets a raw Db' : ScopeGets extends WriteTransaction | undefined ? 'a write transaction' : 'other' = 'a write transaction';
    expect([hooks, store, append, scope]).toEqual(['store', 'system', 'system', 'a write transaction']);
  });

  it('gives handlers a repository type with no raw connection or statement', () => {
    // Checked by the type checker (npm run typecheck): these lines do not compile if ScopedRepository gains either.
    const noDb: 'db' extends keyof ScopedRepository ? 'has db' : 'scoped' = 'scoped';
    const noQuery: 'query' extends keyof ScopedRepository ? 'has query' : 'scoped' = 'scoped';
    const noWithDb: 'withDb' extends keyof ScopedRepository ? 'has withDb' : 'scoped' = 'scoped';
    expect([noDb, noQuery, noWithDb]).toEqual(['scoped', 'scoped', 'scoped']);
  });
});
