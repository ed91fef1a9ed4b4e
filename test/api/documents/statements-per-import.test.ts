import { generateLabReports } from '../../../bench/import-corpus';
import { productionImportCaller, type ImportCaller } from '../../../bench/import-records';
import { loadConfig } from '../../../src/config';
import { startServer, type RunningServer } from '../../../src/server';
// The bench's development tokens live a day (its long runs): the server trusts them as the bench's does (AUTH_ENV).
import { ACCESS_BENCH_DATA_DIR, AUTH_ENV } from '../../../bench/variants/access';
import { createTestDb, type TestDb } from '../../support/test-db';
import { statementLog, type StatementLog } from '../../support/statement-log';
import { countStatementKinds, WRITE_STATEMENT_KINDS } from '../../support/statement-kinds';

// What one `$import` of a generated lab report (bench/import-corpus.ts: 15 results) sends to the database on the
// production composition (startServer: tokens, access, audit, notices, documents), posted by a lab's system token
// as `npm run bench:import` posts it. A statement added to this path costs every imported document: this test says
// which one before it lands (bench/README.md, "Document intake").

let server: RunningServer;
let testDb: TestDb;
let log: StatementLog;
let caller: ImportCaller;

/** The outbox dispatcher works beside the requests. */
const DISPATCHER = /\bnotify_outbox\b/;

beforeAll(async () => {
  testDb = await createTestDb();
  log = statementLog(testDb.db);
  // The bench's tokens are signed with the development key of ACCESS_BENCH_DATA_DIR: the server trusts that one.
  const config = loadConfig({}, { port: 0, host: '127.0.0.1', logLevel: 'silent', dataDir: ACCESS_BENCH_DATA_DIR });
  server = await startServer(config, { db: log.db, env: { ...AUTH_ENV, AUDIT_CHAIN_SECRET: 'statements-test-secret', NOTIFY_POLL_MS: '60000', TOKEN_CUTOFF_CACHE_MS: '60000' } });
  caller = await productionImportCaller();
  await caller.openRecords(server.fhirUrl, 2);
}, 120_000);
afterAll(async () => {
  await server.close();
  await testDb.drop();
});

async function importOne(doc: Buffer): Promise<{ status: number; statements: string[] }> {
  let status = 0;
  const statements = await log.during(async () => {
    const res = await fetch(`${server.fhirUrl}/DocumentReference/$import`, { method: 'POST', headers: { ...caller.headers, 'Content-Type': 'application/hl7-cda+xml', Prefer: 'return=minimal' }, body: doc });
    await res.arrayBuffer();
    status = res.status;
  }, DISPATCHER);
  return { status, statements };
}

/** How many statements of each kind one import sent (kinds that only occur once are counted together). */
const byKind = (statements: string[]): Record<string, number> => countStatementKinds(statements, WRITE_STATEMENT_KINDS, 'other (once each)');

// 20, where the `documents` composition (no access, audit or notices) sends 11 (bench/README.md); it was 143 when each
// of the 18 created resources brought its own access look-ups (3), audit event and chain head (2) and writer row, each
// statement flushing the write-behind queue before the next create. Now the record's state is asked once per record
// and transaction (one statement for the compartment tie and the write rules: access-facts-memo.ts), the writers go
// beside the resources (one statement per flush), the audit events are chained once before commit
// (AuditWriter.appendAtCommit), and the Binary of a document created earlier in the transaction is adopted without
// reading that document back (provenance.ts assertMayAttach): one flush.
test('a lab report imported by a feeder on the production composition sends 20 statements, whatever its number of results', async () => {
  // Two reports of 15 results and one of 40: the count does not grow with the document.
  const docs = [...generateLabReports(3, { run: 'statements', patients: 2 }), ...generateLabReports(1, { run: 'statements-40', patients: 2, results: 40 })];
  // The first import creates the lab's Organization; the next ones find the directory as later imports do.
  expect((await importOne(docs[0])).status).toBe(201);
  for (const doc of docs.slice(1)) {
    const { status, statements } = await importOne(doc);
    expect(status).toBe(201);
    expect(byKind(statements)).toEqual({
      'resource write (write-behind flush)': 1,
      'audit event': 1,
      'audit chain head': 1,
      access_writer: 1,
      'record state (access_record, open consent)': 1,
      // The record's write predicate, and the feeder's right to name the document's author (feeder-author.ts).
      'write predicate (consents)': 2,
      'other (once each)': 13,
    });
    expect(statements).toHaveLength(20);
  }
});
