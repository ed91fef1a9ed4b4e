import request from 'supertest';
import { markSystemContext } from '../../../src/access/access-hooks';
import { readStoredEvent } from '../../../src/audit/stored-event';
import { setPatientCredential } from '../../../src/auth/patient-login';
import { loadConfig } from '../../../src/config';
import type { RequestContext } from '../../../src/fhir/context';
import { createLogger } from '../../../src/logger';
import { startServer, type RunningServer } from '../../../src/server';
import { sql, TRUE } from '../../../src/store/sql';
import { createTestDb, type TestDb } from '../../support/test-db';
import { RequestState } from '../../../src/fhir/request-state';

// Patient sign-ins on the production composition leave AuditEvents: a success in the patient's trail,
// a refusal in the trail of events that name no patient.

let testDb: TestDb;
let server: RunningServer;
let patientId: string;

beforeAll(async () => {
  testDb = await createTestDb();
  const config = loadConfig({}, { port: 0, host: '127.0.0.1', logLevel: 'silent', dataDir: `/tmp/dmp-login-audit-${process.pid}` });
  server = await startServer(config, { db: testDb.db, logger: createLogger('silent'), env: { LOGIN_CODE_TTL: '300' } });
  const ctx: RequestContext = { requestId: 'setup', access: TRUE, state: new RequestState() };
  markSystemContext(ctx);
  const created = await server.service.repo.create(ctx, { resourceType: 'Patient', name: [{ family: 'Connexion' }], telecom: [{ system: 'email', value: 'patient@example.org' }] });
  patientId = created.resource.id as string;
  await setPatientCredential(testDb.db, { login: 'camille', patientId, password: 'a long pass phrase', scrypt: { N: 1024, r: 8, p: 1 } });
}, 120_000);
afterAll(async () => {
  await server.close();
  await testDb.drop();
});

async function loginEvents(where: 'patient' | 'none'): Promise<{ outcome: string }[]> {
  const { rows } = await testDb.db.query<{ id: string; text: string }>(
    where === 'patient'
      ? sql`SELECT id, text FROM resource WHERE type = 'AuditEvent' AND compartment = ${patientId}`
      : sql`SELECT id, text FROM resource WHERE type = 'AuditEvent' AND compartment IS NULL`,
  );
  return rows.map((r) => readStoredEvent(r.id, r.text).event as { outcome: string; type: { code: string } }).filter((c) => c.type.code !== 'rest');
}

test('a sign-in is audited in the patient trail, a refused one too (he reads that someone tried); an unknown identifier in no trail', async () => {
  const app = server.server;
  const wrong = await request(app).post('/auth/login').send({ identifier: 'camille', password: 'wrong' });
  expect(wrong.status).toBe(401);
  const unknown = await request(app).post('/auth/login').send({ identifier: 'nobody-here', password: 'wrong' });
  // The answers stay identical: filing the refusal in Camille's trail tells the caller nothing.
  expect(unknown.status).toBe(401);
  expect(unknown.body).toEqual(wrong.body);
  const started = await request(app).post('/auth/login').send({ identifier: 'camille', password: 'a long pass phrase' });
  expect(started.status).toBe(200);
  const { rows } = await testDb.db.query<{ body: string }>(sql`SELECT body FROM notify_outbox WHERE idempotency_key LIKE ${`login-code:${started.body.challenge}:%`}`);
  const code = /\b(\d{6})\b/.exec(rows[0].body)![1];
  const badCode = await request(app).post('/auth/otp').send({ challenge: started.body.challenge, code: code === '000000' ? '111111' : '000000' });
  expect(badCode.status).toBe(401);
  const token = await request(app).post('/auth/otp').send({ challenge: started.body.challenge, code });
  expect(token.status).toBe(200);
  const mine = (await loginEvents('patient')) as { outcome: string; agent?: { requestor?: boolean; who?: { reference?: string } }[] }[];
  // The wrong password and the wrong code (refused, no person named), then the sign-in, made by Camille herself.
  expect(mine.map((e) => e.outcome).sort()).toEqual(['0', '4', '4']);
  const success = mine.find((e) => e.outcome === '0')!;
  expect(success.agent?.find((a) => a.requestor)?.who?.reference).toBe(`Patient/${patientId}`);
  for (const refusal of mine.filter((e) => e.outcome !== '0')) expect(refusal.agent?.some((a) => a.requestor)).toBe(false);
  const unfiled = await loginEvents('none');
  expect(unfiled.length).toBe(1);
  expect(unfiled[0].outcome).not.toBe('0');
});
