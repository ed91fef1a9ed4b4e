import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { loadConfig } from '../../../src/config';
import { startServer } from '../../../src/server';
import { loadFixture } from '../access/fixture';
import { startAuditServer, waitFor, type AuditServer } from '../audit/server-harness';
import { capturedLogger } from '../../support/captured-logger';

// Issue 14: every failure leaves a log line (batch entries, pool errors), and no notice text reaches the log —
// a break-glass reason is health data. The production composition, its logger's lines captured.

const REASON = 'Patient inconscient après une chute, suspicion hémorragie';
const capture = capturedLogger('info');
let s: AuditServer;

beforeAll(async () => {
  // No SMTP_URL: notices stay undeliverable, the case whose log line used to carry the notice text.
  s = await startAuditServer({ NOTIFY_POLL_MS: '100' }, { logger: capture.logger });
  await loadFixture(s.server.service);
}, 120_000);
afterAll(() => s?.close());

test('a failed batch entry leaves a log line with the request id, entry and status, not the body', async () => {
  const patient = await s.token({ kind: 'patient', id: 'p1' });
  const res = await s.fhir(patient, 'POST', '', {
    resourceType: 'Bundle',
    type: 'batch',
    entry: [{ request: { method: 'GET', url: 'Patient/p1' } }, { request: { method: 'GET', url: 'Patient/no-such-patient-xyz' } }],
  });
  expect(res.status).toBe(200);
  expect(res.body.entry[1].response.status).toBe('404');
  const line = capture.lines.find((l) => l.message === 'batch entry failed');
  expect(line).toMatchObject({ entry: 1, status: 404, issue: 'not-found' });
  expect(typeof line?.requestId).toBe('string');
});

test('a break-glass notice is logged by ids and kind, never with its text, reason or recipient', async () => {
  const btg = await s.token({ kind: 'practitioner', id: '10000000055', purpose: 'BTG', reason: REASON });
  expect((await s.fhir(btg, 'GET', '/Patient/p1')).status).toBe(200);
  await waitFor(() => capture.lines.some((l) => l.message === 'notification not sent: no transport configured for its channel'), 15_000, 'the undeliverable notice log line');
  const line = capture.lines.find((l) => l.message === 'notification not sent: no transport configured for its channel') as Record<string, unknown>;
  expect(Object.keys(line).sort()).toEqual(['attempt', 'channel', 'kind', 'level', 'message', 'outboxId', 'patientId', 'timestamp'].sort());
  const all = capture.text();
  expect(all).not.toContain('inconscient');
  expect(all).not.toContain('@example'); // the fixture's e-mail addresses
});

test('a pooled connection killed by the database server leaves a log line, and the server answers again', async () => {
  const url = process.env.TEST_DATABASE_URL;
  if (!url || !s.testDb.url) {
    console.log('pool error log not checked: TEST_DATABASE_URL is not set (PGlite has no connections to lose)');
    return;
  }
  // A server that opens its own pool from DATABASE_URL, as `npm start` does (the harness hands its server a pool).
  const own = capturedLogger('info');
  const config = loadConfig({}, { logLevel: 'info', databaseUrl: s.testDb.url, dataDir: mkdtempSync(path.join(tmpdir(), 'dmp-logs-')), port: 0, host: '127.0.0.1' });
  const server = await startServer(config, { env: s.env, logger: own.logger });
  try {
    expect((await fetch(`${server.url}/readyz`)).status).toBe(200); // a pooled connection exists and is idle
    const dbName = new URL(s.testDb.url).pathname.slice(1);
    const admin = new pg.Client({ connectionString: url });
    await admin.connect();
    try {
      await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid() AND application_name = $2', [dbName, '']);
    } finally {
      await admin.end();
    }
    const lost = (l: Record<string, unknown>) => String(l.message).startsWith('database connection lost');
    await waitFor(() => own.lines.some(lost), 10_000, 'the pool error log line');
    expect(own.lines.find(lost)).toMatchObject({ level: 'warn', code: '57P01' });
    await waitFor(async () => (await fetch(`${server.url}/readyz`)).status === 200, 10_000, 'the server to answer again');
  } finally {
    await server.close();
  }
});
