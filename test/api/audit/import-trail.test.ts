import type { AuditEvent, BundleEntry } from '@medplum/fhirtypes';
import { generateLabReports } from '../../../bench/import-corpus';
import { productionImportCaller, type ImportCaller } from '../../../bench/import-records';
// The bench's development tokens live a day (its long runs): the server trusts them as the bench's does (AUTH_ENV).
import { ACCESS_BENCH_DATA_DIR, AUTH_ENV } from '../../../bench/variants/access';
import { loadAuthConfig } from '../../../src/auth/auth-config';
import { loadDevKey } from '../../../src/auth/dev-key';
import { mintDevToken } from '../../../src/auth/mint-token';
import { loadConfig } from '../../../src/config';
import { startServer, type RunningServer } from '../../../src/server';
import { createTestDb, type TestDb } from '../../support/test-db';

// What a patient's trail says of an imported document, on the production composition (as `npm start` serves it): one
// line "the laboratory added this report", naming the document, its file and every result extracted from it — not
// one line per resource (merge-writes.ts) — and one "new document" notice.

let server: RunningServer;
let testDb: TestDb;
let caller: ImportCaller;
let patientToken: string;
let patientId: string;

beforeAll(async () => {
  testDb = await createTestDb();
  const config = loadConfig({}, { port: 0, host: '127.0.0.1', logLevel: 'silent', dataDir: ACCESS_BENCH_DATA_DIR });
  server = await startServer(config, { db: testDb.db, env: { ...AUTH_ENV, AUDIT_CHAIN_SECRET: 'import-trail-secret', NOTIFY_POLL_MS: '60000' } });
  caller = await productionImportCaller();
  await caller.openRecords(server.fhirUrl, 1);
  patientId = (await testDb.db.query<{ id: string }>(`SELECT id FROM resource WHERE type = 'Patient'`)).rows[0].id;
  const auth = loadAuthConfig({ DEV_AUTH: '1' }, ACCESS_BENCH_DATA_DIR);
  patientToken = await mintDevToken(auth, await loadDevKey(auth), { kind: 'patient', id: patientId });
}, 120_000);
afterAll(async () => {
  await server.close();
  await testDb.drop();
});

const asPatient = (path: string): Promise<{ status: number; body: any }> => fetch(`${server.fhirUrl}${path}`, { headers: { authorization: `Bearer ${patientToken}` } }).then(async (r) => ({ status: r.status, body: await r.json() }));
const names = (event: AuditEvent) => (event.entity ?? []).map((e) => e.what?.reference?.split('/_history/')[0]).filter((r): r is string => !!r);

test('an imported lab report is one create event in the patient\'s trail, naming the document, its file and its 15 results; one notice', async () => {
  const [doc] = generateLabReports(1, { run: 'import-trail', patients: 1 });
  const res = await fetch(`${server.fhirUrl}/DocumentReference/$import`, { method: 'POST', headers: { ...caller.headers, 'Content-Type': 'application/hl7-cda+xml' }, body: doc });
  expect(res.status).toBe(201);
  await res.arrayBuffer();
  const stored = async (type: string) => (await testDb.db.query<{ id: string }>(`SELECT id FROM resource WHERE type = $1 AND compartment = $2`, [type, patientId])).rows.map((r) => `${type}/${r.id}`);
  const [documents, observations] = [await stored('DocumentReference'), await stored('Observation')];
  expect(documents).toHaveLength(1);
  expect(observations).toHaveLength(15);

  const trail = await asPatient(`/AuditEvent?patient=${patientId}&action=C&_count=100`);
  expect(trail.status).toBe(200);
  const creates = (trail.body.entry as BundleEntry[]).map((e) => e.resource as AuditEvent).filter((e) => names(e).some((n) => n.startsWith('DocumentReference/') || n.startsWith('Observation/')));
  expect(creates).toHaveLength(1);
  const named = names(creates[0]);
  expect(named).toEqual(expect.arrayContaining([...documents, ...observations]));
  expect(named.some((n) => n.startsWith('Binary/'))).toBe(true);
  expect(creates[0].agent?.some((a) => a.requestor)).toBe(true);

  const notices = await testDb.db.query<{ key: string }>(`SELECT idempotency_key AS key FROM notify_outbox WHERE kind = 'document-added'`);
  expect(new Set(notices.rows.map((r) => r.key.split(':')[1]))).toEqual(new Set([documents[0].split('/')[1]]));

  const verify = await asPatient('/AuditEvent/$verify');
  expect(verify.body.parameter[0]).toEqual({ name: 'intact', valueBoolean: true });
});
