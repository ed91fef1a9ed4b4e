import { Writable } from 'node:stream';
import request from 'supertest';
import winston from 'winston';
import type { MintOptions } from '../../../src/auth/mint-token';
import { verifyChain } from '../../../src/audit/verify-chain';
import { main as purgeCli } from '../../../src/cli/purge-records';
import { purgeRecords, type PurgeReport } from '../../../src/records/purge-job';
import { SystemRepository } from '../../../src/system/system-repository';
import { shiftDate } from '../../../src/records/record-closure';
import { raw as rawTable, sql } from '../../../src/store/sql';
import { loadFixture, RPPS } from '../access/fixture';
import { waitFor } from '../audit/server-harness';
import { createRecordsApp, type RecordsApp } from './harness';

// The retention job: p1 (closed T0 + 1 h, with credentials, sign-in rows, notices and a professional's first access)
// is purged by the CLI 10 years on; p4 (closed T0 + 1 day) by two concurrent runs; p3 (closed T0 + 2 days) by the
// scheduled job. p2 stays open: none of its rows may move. The tests run in order on one database.

const T0 = new Date('2026-01-15T09:30:00Z');
const HOUR = 3600_000;
const DAY = 24 * HOUR;
const PASSWORD = 'Tournesol-cerf-volant-brume-1987';
let a: RecordsApp;
const logLines: string[] = [];
const WHO: Record<string, MintOptions> = {
  p1: { kind: 'patient', id: 'p1' },
  p2: { kind: 'patient', id: 'p2' },
  p3: { kind: 'patient', id: 'p3' },
  p4: { kind: 'patient', id: 'p4' },
  gp: { kind: 'practitioner', id: RPPS.gp },
};
const tokens: Record<string, string> = {};
const at = (offset: number) => new Date(T0.getTime() + offset);
const RECORD_URL = 'https://www.monespacesante.fr';

const send = (who: string, method: 'get' | 'post' | 'put', url: string, body?: unknown) => {
  const req = request(a.app)[method](url).set('Authorization', `Bearer ${tokens[who]}`);
  return body === undefined ? req : req.set('Content-Type', 'application/fhir+json').send(JSON.stringify(body));
};
const close = (who: string, reason: string) => send(who, 'post', `/fhir/Patient/${who}/$close`, { resourceType: 'Parameters', parameter: [{ name: 'reason', valueCode: reason }] });

/** What identifies a patient's rows once they are gone: resource rids, Binary ids, sign-in identifiers. */
interface Keys { rids: string[]; binaries: string[]; logins: string[] }
const keys: Record<string, Keys> = {};

async function loadKeys(patientId: string): Promise<Keys> {
  const q = <T>(s: ReturnType<typeof sql>) => a.db.query<T>(s).then((r) => r.rows);
  return {
    rids: (await q<{ rid: string }>(sql`SELECT rid::text FROM resource WHERE compartment = ${patientId} AND type <> 'AuditEvent'`)).map((r) => r.rid),
    binaries: (await q<{ id: string }>(sql`SELECT id FROM resource WHERE compartment = ${patientId} AND type = 'Binary'`)).map((r) => r.id),
    logins: (await q<{ login: string }>(sql`SELECT login FROM patient_credential WHERE patient_id = ${patientId}`)).map((r) => r.login),
  };
}

/** Rows of every table the purge empties for a patient, and the audit rows it keeps. */
async function rowsOf(patientId: string): Promise<Record<string, number>> {
  const k = keys[patientId];
  const count = async (s: ReturnType<typeof sql>) => Number((await a.db.query<{ n: string }>(s)).rows[0].n);
  const out: Record<string, number> = {
    resource: await count(sql`SELECT count(*) AS n FROM resource WHERE rid = ANY(${k.rids}::bigint[]) OR (compartment = ${patientId} AND type <> 'AuditEvent')`),
    resource_history: await count(sql`SELECT count(*) AS n FROM resource_history WHERE type <> 'AuditEvent' AND (rid = ANY(${k.rids}::bigint[]) OR compartment = ${patientId})`),
    binary_data: await count(sql`SELECT count(*) AS n FROM binary_data WHERE id = ANY(${k.binaries}::text[])`),
    access_record: await count(sql`SELECT count(*) AS n FROM access_record WHERE patient_id = ${patientId}`),
    access_consent: await count(sql`SELECT count(*) AS n FROM access_consent WHERE patient_id = ${patientId}`),
    access_guardian: await count(sql`SELECT count(*) AS n FROM access_guardian WHERE patient_id = ${patientId}`),
    notify_outbox: await count(sql`SELECT count(*) AS n FROM notify_outbox WHERE patient_id = ${patientId}`),
    notify_first_access: await count(sql`SELECT count(*) AS n FROM notify_first_access WHERE patient_id = ${patientId}`),
    patient_credential: await count(sql`SELECT count(*) AS n FROM patient_credential WHERE patient_id = ${patientId}`),
    login_challenge: await count(sql`SELECT count(*) AS n FROM login_challenge WHERE patient_id = ${patientId}`),
    login_attempt: await count(sql`SELECT count(*) AS n FROM login_attempt WHERE login = ANY(${k.logins}::text[])`),
    audit_events: await count(sql`SELECT count(*) AS n FROM resource WHERE type = 'AuditEvent' AND compartment = ${patientId}`),
    audit_chain: await count(sql`SELECT count(*) AS n FROM audit_chain WHERE chain = ${patientId}`),
  };
  for (const table of ['idx_token', 'idx_string', 'idx_date', 'idx_reference', 'idx_quantity']) {
    out[table] = await count(sql`SELECT count(*) AS n FROM ${rawTable(table)} WHERE rid = ANY(${k.rids}::bigint[])`);
  }
  return out;
}

const TABLES_EMPTIED = ['resource', 'resource_history', 'binary_data', 'access_record', 'access_consent', 'access_guardian', 'notify_outbox', 'notify_first_access',
  'patient_credential', 'login_challenge', 'login_attempt', 'idx_token', 'idx_string', 'idx_date', 'idx_reference'];
const before: Record<string, Record<string, number>> = {};

beforeAll(async () => {
  const stream = new Writable({ write: (chunk, _enc, done) => void (logLines.push(String(chunk)), done()) });
  const logger = winston.createLogger({ level: 'info', format: winston.format.json(), transports: [new winston.transports.Stream({ stream })] });
  a = await createRecordsApp({ start: T0, env: { PURGE_INTERVAL_MS: '50' }, logger });
  await loadFixture(a.service);
  for (const [name, mint] of Object.entries(WHO)) tokens[name] = await a.token(mint);
  // Each patient signs in (credential, a failed attempt, a code for p1), and p1's physician reads a document (first access).
  for (const p of ['p1', 'p2']) {
    const identifier = `${p}.login`;
    expect((await request(a.app).put('/auth/password').set('Authorization', `Bearer ${tokens[p]}`).send({ identifier, password: PASSWORD })).status).toBe(204);
    await request(a.app).post('/auth/login').send({ identifier, password: 'wrong password entirely' });
    // p2 has no e-mail or mobile: his code cannot be sent (422), his credential and counter rows stay.
    expect((await request(a.app).post('/auth/login').send({ identifier, password: PASSWORD })).status).toBe(p === 'p1' ? 200 : 422);
  }
  expect((await send('gp', 'get', '/fhir/DocumentReference/d1')).status).toBe(200);
  expect((await send('p2', 'get', '/fhir/Patient/p2/$everything')).status).toBe(200);
  a.clock.now = at(HOUR);
  expect((await close('p1', 'patient-request')).status).toBe(200);
  a.clock.now = at(DAY);
  expect((await send('p4', 'post', '/fhir/Patient/p4/$reactivate')).status).toBe(200);
  expect((await close('p4', 'duplicate')).status).toBe(200);
  a.clock.now = at(2 * DAY);
  expect((await close('p3', 'other')).status).toBe(200);
  for (const p of ['p1', 'p2', 'p3', 'p4']) {
    keys[p] = await loadKeys(p);
    before[p] = await rowsOf(p);
  }
}, 180_000);
afterAll(() => a.close());

test('the fixture gives p1 rows in every table the purge empties', () => {
  for (const table of TABLES_EMPTIED) expect([table, before.p1[table]]).toEqual([table, expect.any(Number)]);
  expect(Object.entries(before.p1).filter(([t, n]) => TABLES_EMPTIED.includes(t) && n === 0)).toEqual([]);
  expect(before.p1.audit_events).toBeGreaterThan(0);
});

test('the purge-approaching notice is queued once, three months before the purge date, in French', async () => {
  const now = shiftDate(T0, 10, -2);
  const dry = await purgeRecords(new SystemRepository(a.db), { now, dryRun: true, recordUrl: RECORD_URL });
  expect(dry.noticed).toEqual(['p1', 'p4', 'p3']);
  expect(Number((await a.db.query<{ n: string }>(sql`SELECT count(*) AS n FROM notify_outbox WHERE kind = 'purge-approaching'`)).rows[0].n)).toBe(0);
  const first = await purgeRecords(new SystemRepository(a.db), { now, recordUrl: RECORD_URL });
  const second = await purgeRecords(new SystemRepository(a.db), { now: new Date(now.getTime() + 10 * DAY), recordUrl: RECORD_URL });
  expect([first.noticed, first.records, second.noticed]).toEqual([['p1', 'p4', 'p3'], [], []]);
  const { rows } = await a.db.query<{ patient_id: string; subject: string; body: string }>(sql`SELECT patient_id, subject, body FROM notify_outbox WHERE kind = 'purge-approaching' ORDER BY patient_id`);
  expect(rows.map((r) => r.patient_id)).toEqual(['p1', 'p3', 'p4']);
  expect(rows[0].subject).toBe('Votre dossier médical partagé va être supprimé');
  expect(rows[0].body).toContain('fermé le 15 janvier 2026 à 11:30, sera définitivement supprimé à partir du 15 janvier 2036');
  before.p1.notify_outbox += 1;
  before.p3.notify_outbox += 1;
  before.p4.notify_outbox += 1;
  // Ten years on, the sign-in failure counts are long past their window: the job removed them (login-attempts-purge.test.ts).
  expect(first.loginAttempts).toBe(before.p1.login_attempt + before.p2.login_attempt + before.p3.login_attempt + before.p4.login_attempt);
  for (const p of ['p1', 'p2', 'p3', 'p4']) before[p].login_attempt = 0;
});

test('--dry-run reports what would be purged and changes nothing', async () => {
  let out = '';
  const code = await purgeCli(['--dry-run', '--now', at(HOUR).toISOString().replace('2026', '2036'), '--json'], a.env, (t) => void (out += t), a.db);
  expect(code).toBe(0);
  const report = JSON.parse(out) as PurgeReport;
  expect(report.dryRun).toBe(true);
  expect(report.records.map((r) => r.patientId)).toEqual(['p1']);
  expect(report.records[0].counts.resource).toBe(before.p1.resource);
  for (const p of ['p1', 'p2', 'p3', 'p4']) expect(await rowsOf(p)).toEqual(before[p]);
});

test('the CLI purges every row of the record closed 10 years ago, keeps its audit trail, and the chains still verify', async () => {
  let out = '';
  expect(await purgeCli(['--now', at(2 * HOUR).toISOString().replace('2026', '2036')], a.env, (t) => void (out += t), a.db)).toBe(0);
  expect(out).toMatch(/Patient\/p1 closed 2026-01-15T10:30:00.000Z: .*resource=\d+/);
  expect(out).toMatch(/^1 record\(s\) purged/m);
  const after = await rowsOf('p1');
  for (const table of TABLES_EMPTIED) expect([table, after[table]]).toEqual([table, 0]);
  expect([after.audit_events, after.audit_chain]).toEqual([before.p1.audit_events, before.p1.audit_chain]);
  for (const p of ['p2', 'p3', 'p4']) expect(await rowsOf(p)).toEqual(before[p]);
  expect(await verifyChain(a.db, { secret: 'test-chain-secret' })).toMatchObject({ intact: true });
  expect(await verifyChain(a.db, { chain: 'p1', secret: 'test-chain-secret' })).toMatchObject({ intact: true, events: before.p1.audit_chain });
  const verify = await send('p2', 'get', '/fhir/AuditEvent/$verify');
  expect(verify.status).toBe(200);
  expect(verify.body.parameter.find((p: { name: string }) => p.name === 'intact').valueBoolean).toBe(true);
  // The check itself is audited in p2's trail.
  before.p2.audit_events += 1;
  before.p2.audit_chain += 1;
  expect((await send('gp', 'get', '/fhir/Patient/p1')).status).toBe(404);
  expect((await send('gp', 'get', '/fhir/AuditEvent?patient=Patient/p1')).status).toBe(403);
  // The trail kept is still the patient's: a token naming him (from an identity provider; his own sign-in is gone) reads it.
  const trail = await send('p1', 'get', '/fhir/AuditEvent?patient=Patient/p1&_summary=count');
  expect(trail.status).toBe(200);
  expect(trail.body.total).toBeGreaterThanOrEqual(before.p1.audit_events);
  expect((await request(a.app).post('/auth/login').send({ identifier: 'p1.login', password: PASSWORD })).status).toBe(401);
});

test('a second run purges nothing more, and two runs at once purge a record once', async () => {
  const again = await purgeRecords(new SystemRepository(a.db), { now: shiftDate(at(2 * HOUR), 10), recordUrl: RECORD_URL });
  expect([again.records, again.skipped]).toEqual([[], []]);
  const now = shiftDate(at(DAY + HOUR), 10);
  const runs = await Promise.all([purgeRecords(new SystemRepository(a.db), { now, recordUrl: RECORD_URL }), purgeRecords(new SystemRepository(a.db), { now, recordUrl: RECORD_URL })]);
  expect(runs.flatMap((r) => r.records.map((x) => x.patientId))).toEqual(['p4']);
  expect((await rowsOf('p4')).resource).toBe(0);
  expect(await rowsOf('p2')).toEqual(before.p2);
});

test('the scheduled job purges on the injected clock and logs what it purged per record and table', async () => {
  a.clock.now = shiftDate(at(3 * DAY), 10);
  a.startPurgeSchedule();
  await waitFor(async () => (await rowsOf('p3')).access_record === 0, 15_000, 'the scheduled purge of p3');
  await waitFor(() => logLines.some((l) => l.includes('record purge: 1 record(s) purged')), 5_000, 'the purge log line');
  const line = JSON.parse(logLines.find((l) => l.includes('record purge: 1 record(s) purged')) as string);
  expect(line.purge.records[0]).toMatchObject({ patientId: 'p3', counts: { resource: before.p3.resource, access_record: 1 } });
  const after = await rowsOf('p3');
  for (const table of TABLES_EMPTIED) expect([table, after[table]]).toEqual([table, 0]);
  expect(await rowsOf('p2')).toEqual(before.p2);
  expect(await verifyChain(a.db, { secret: 'test-chain-secret' })).toMatchObject({ intact: true });
});
