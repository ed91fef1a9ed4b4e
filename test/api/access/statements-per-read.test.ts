import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadAuthConfig } from '../../../src/auth/auth-config';
import { loadDevKey, loadSigningKey } from '../../../src/auth/dev-key';
import { mintDevToken, mintLoginToken } from '../../../src/auth/mint-token';
import { loadConfig } from '../../../src/config';
import { startServer, type RunningServer } from '../../../src/server';
import { statementLog, type StatementLog } from '../../support/statement-log';
import { createTestDb, type TestDb } from '../../support/test-db';
import { loadFixture, RPPS } from './fixture';

// What one audited read of the production composition (startServer: tokens, access, audit with first-access notices,
// documents) sends to the database once its caller is known: the read itself, and the audit statement that stores
// its event, chain link and index rows (shared by the events of one group-commit flush under load). The token, the
// actor's directory keys and the access predicate come from the process's caches, and a (patient, professional)
// pair whose first-access notice is committed needs no transaction. A statement added to this path costs every
// read of the benchmark's production variant (bench/README.md): this test says which one before it lands.

let server: RunningServer;
let testDb: TestDb;
let dataDir: string;
let log: StatementLog;

/** The outbox dispatcher's statements (claim, expiry, result): the requests write the outbox only inside their transaction. */
const DISPATCHER = /\bnotify_outbox\b/;

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'dmp-statements-'));
  testDb = await createTestDb();
  const config = loadConfig({}, { port: 0, host: '127.0.0.1', logLevel: 'silent', dataDir });
  log = statementLog(testDb.db);
  server = await startServer(config, { db: log.db, env: { DEV_AUTH: '1', AUDIT_CHAIN_SECRET: 'statements-test-secret', NOTIFY_POLL_MS: '60000', TOKEN_CUTOFF_CACHE_MS: '60000' } });
  await loadFixture(server.service);
}, 120_000);
afterAll(async () => {
  await server.close();
  await testDb.drop();
  rmSync(dataDir, { recursive: true, force: true });
});

const bearer = async (rpps: string) => {
  const auth = loadAuthConfig({ DEV_AUTH: '1' }, dataDir);
  return { Authorization: `Bearer ${await mintDevToken(auth, await loadDevKey(auth), { kind: 'practitioner', id: rpps })}` };
};

/** The statements one request sent, in order (the audit's flush is over when the answer arrives). */
async function statementsOf(url: string, headers: Record<string, string>): Promise<{ status: number; statements: string[] }> {
  let status = 0;
  const statements = await log.during(async () => {
    const response = await fetch(url, { headers });
    await response.arrayBuffer();
    status = response.status;
  }, DISPATCHER);
  return { status, statements };
}

const isRead = (s: string) => /^SELECT .* FROM resource r WHERE/.test(s);
const isAuditAppend = (s: string) => s.startsWith('WITH v AS (') && s.includes("INSERT INTO resource (type, id, version_id, last_updated, compartment, text, named_documents, search_rows) SELECT 'AuditEvent'");

test('an audited read by a known professional sends its read and its audit statement, nothing else', async () => {
  const headers = await bearer(RPPS.spec);
  // The first request resolves the actor and files the first-access notice; the next ones find both done.
  expect((await statementsOf(`${server.fhirUrl}/DocumentReference/d1`, headers)).status).toBe(200);
  for (let i = 0; i < 3; i++) {
    const { status, statements } = await statementsOf(`${server.fhirUrl}/DocumentReference/d1`, headers);
    expect(status).toBe(200);
    expect(statements).toHaveLength(2);
    expect(isRead(statements[0])).toBe(true);
    expect(isAuditAppend(statements[1])).toBe(true);
  }
});

test('an audited search page sends its page query and its audit statement (no total asked, no look-up)', async () => {
  const headers = await bearer(RPPS.spec);
  const url = `${server.fhirUrl}/DocumentReference?patient=p1&_count=5`;
  expect((await statementsOf(url, headers)).status).toBe(200);
  const { status, statements } = await statementsOf(url, headers);
  expect(status).toBe(200);
  expect(statements).toHaveLength(2);
  expect(statements[0]).toMatch(/FROM resource r/);
  expect(isAuditAppend(statements[1])).toBe(true);
});

test("a professional's first access to a record is stored with its notice in one transaction, then never again", async () => {
  const headers = await bearer(RPPS.gp);
  const first = await statementsOf(`${server.fhirUrl}/Patient/p1`, headers);
  expect(first.status).toBe(200);
  expect(first.statements).toContain('BEGIN');
  const again = await statementsOf(`${server.fhirUrl}/Patient/p1`, headers);
  expect(again.status).toBe(200);
  expect(again.statements).not.toContain('BEGIN');
  expect(again.statements.filter(isAuditAppend)).toHaveLength(1);
});

test("a patient's audited read with a token of our sign-in sends its read and its audit statement: the token's cut-off comes from the cache", async () => {
  // Issue 11: our own patients' tokens die with a new password (token_cutoff), read once per TOKEN_CUTOFF_CACHE_MS.
  const auth = loadAuthConfig({ DEV_AUTH: '1' }, dataDir);
  const headers = { Authorization: `Bearer ${await mintLoginToken(auth, await loadSigningKey(auth.login.keyFile, undefined, 'login'), 'p1')}` };
  const first = await statementsOf(`${server.fhirUrl}/Patient/p1`, headers);
  expect(first.status).toBe(200);
  expect(first.statements.some((st) => /FROM token_cutoff/.test(st))).toBe(true);
  for (let i = 0; i < 3; i++) {
    const { status, statements } = await statementsOf(`${server.fhirUrl}/Patient/p1`, headers);
    expect(status).toBe(200);
    expect(statements).toHaveLength(2);
    expect(isRead(statements[0])).toBe(true);
    expect(isAuditAppend(statements[1])).toBe(true);
  }
});
