import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { readStoredEvent } from '../../src/audit/stored-event';
import { verifyChain } from '../../src/audit/verify-chain';
import { HISTORY_SOURCE } from '../../src/store/history-source';
import { loadAuthConfig } from '../../src/auth/auth-config';
import { loadDevKey } from '../../src/auth/dev-key';
import { exportJWK, generateKeyPair } from '../../src/auth/jose';
import { mintDevToken, type MintOptions } from '../../src/auth/mint-token';
import type { Db } from '../../src/store/db';
import { PgDb } from '../../src/store/pg-db';
import { PgliteDb } from '../../src/store/pglite-db';
import { createTestDb, type TestDb } from '../support/test-db';
import { SmtpReceiver } from '../unit/notify/receivers';
import { AUTHOR_RPPS, crashDocument, PATIENTS } from './crash-fixture';
import { type ServerProcess, spawnServer } from './server-process';

const SECRET = 'crash-chain-secret';

async function jwkText(kid: string): Promise<string> {
  const { privateKey } = await generateKeyPair('ES256', { extractable: true });
  return JSON.stringify({ ...(await exportJWK(privateKey)), kid, alg: 'ES256' });
}

/** What the load loop saw acknowledged before the crash. */
interface Acknowledged {
  created: { id: string; requestId: string }[];
  reads: string[];
  failures: number;
  firstError?: string;
}

/** Creates and reads documents with `workers` concurrent loops until `stop` resolves, noting what was acknowledged in `ack`. */
async function runLoad(fhirUrl: string, token: string, workers: number, stop: Promise<void>, ack: Acknowledged): Promise<void> {
  let stopped = false;
  void stop.then(() => (stopped = true));
  let n = 0;
  const headers = { authorization: `Bearer ${token}`, accept: 'application/fhir+json', 'content-type': 'application/fhir+json' };
  const loop = async (): Promise<void> => {
    while (!stopped) {
      const i = n++;
      try {
        const created = await fetch(`${fhirUrl}/DocumentReference`, { method: 'POST', headers, body: JSON.stringify(crashDocument(PATIENTS[i % PATIENTS.length], i)) });
        const body = (await created.json()) as { id?: string };
        if (created.status !== 201 || !body.id) throw new Error(`create answered ${created.status}: ${JSON.stringify(body).slice(0, 300)}`);
        ack.created.push({ id: body.id, requestId: created.headers.get('x-request-id') as string });
        const read = await fetch(`${fhirUrl}/DocumentReference/${body.id}`, { headers });
        await read.text();
        if (read.status !== 200) throw new Error(`read answered ${read.status}`);
        ack.reads.push(read.headers.get('x-request-id') as string);
      } catch (err) {
        ack.failures++;
        ack.firstError ??= (err as Error).message;
        if (!stopped) await new Promise((r) => setTimeout(r, 50));
      }
    }
  };
  await Promise.all(Array.from({ length: workers }, loop));
}

async function patientGet(server: ServerProcess, token: string, url: string): Promise<any> {
  const res = await fetch(`${server.fhirUrl}${url}`, { headers: { authorization: `Bearer ${token}`, accept: 'application/fhir+json' } });
  return { status: res.status, body: await res.json() };
}

describe('a server killed with SIGKILL while importing and reading', () => {
  const smtp = new SmtpReceiver();
  const dataDir = mkdtempSync(path.join(tmpdir(), 'dmp-crash-'));
  let testDb: TestDb | undefined;
  let env: NodeJS.ProcessEnv;
  let mint: (o: MintOptions) => Promise<string>;
  const children: ServerProcess[] = [];

  beforeAll(async () => {
    await smtp.start();
    env = {
      DEV_AUTH: '1',
      DEV_ISSUER_KEY: await jwkText('dev-crash'),
      LOGIN_ISSUER_KEY: await jwkText('login-crash'),
      AUDIT_CHAIN_SECRET: SECRET,
      SMTP_URL: `smtp://127.0.0.1:${smtp.port}`,
      NOTIFY_LEASE_MS: '2000',
      NOTIFY_POLL_MS: '200',
      NOTIFY_RETRY_BASE_MS: '200',
      DATA_DIR: dataDir,
      LOG_LEVEL: 'silent',
    };
    if (process.env.TEST_DATABASE_URL) {
      testDb = await createTestDb('pg');
      env.DATABASE_URL = testDb.url;
    }
    const auth = loadAuthConfig(env, dataDir);
    const key = await loadDevKey(auth);
    mint = (o) => mintDevToken(auth, key, o);
  });

  afterAll(async () => {
    for (const c of children) if (c.child.exitCode === null && c.child.signalCode === null) c.child.kill('SIGKILL');
    await smtp.stop();
    await testDb?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('keeps an AuditEvent and an outbox row for every committed change, an intact chain, and delivers each notice once', async () => {
    const first = await spawnServer({ ...env, CRASH_SEED: '1' });
    children.push(first);
    const author = await mint({ kind: 'practitioner', id: AUTHOR_RPPS });
    let kill!: () => void;
    const stop = new Promise<void>((resolve) => (kill = resolve));
    const ack: Acknowledged = { created: [], reads: [], failures: 0 };
    const load = runLoad(first.fhirUrl, author, 4, stop, ack);
    // Let work and deliveries get going, then kill while requests are in flight.
    const started = Date.now();
    while (Date.now() - started < 60_000 && (ack.created.length < 20 || smtp.received.length < 5)) await new Promise((r) => setTimeout(r, 50));
    first.child.kill('SIGKILL');
    expect(await first.exited).toBe('SIGKILL');
    kill();
    await load;
    expect({ created: ack.created.length >= 20, error: ack.created.length >= 20 || ack.firstError }).toEqual({ created: true, error: true });

    const second = await spawnServer(env);
    children.push(second);
    const deliveredBefore = smtp.received.length;
    for (const patientId of PATIENTS) {
      const token = await mint({ kind: 'patient', id: patientId });
      const verify = await patientGet(second, token, '/AuditEvent/$verify');
      expect(verify.body.parameter[0]).toEqual({ name: 'intact', valueBoolean: true });
      // Every notice of the patient ends delivered (the ones the killed process left behind included).
      const until = Date.now() + 30_000;
      for (;;) {
        const comms = await patientGet(second, token, '/Communication?patient=' + patientId + '&_count=200');
        const statuses = (comms.body.entry ?? []).map((e: any) => e.resource.status);
        if (statuses.length > 0 && statuses.every((s: string) => s === 'completed')) break;
        if (Date.now() > until) throw new Error(`notices of ${patientId} not all delivered: ${JSON.stringify(statuses)}`);
        await new Promise((r) => setTimeout(r, 250));
      }
    }
    expect(smtp.received.length).toBeGreaterThanOrEqual(deliveredBefore);
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);

    const db: Db = env.DATABASE_URL ? new PgDb(env.DATABASE_URL, 2) : await PgliteDb.open(dataDir);
    try {
      // Every acknowledged create is committed.
      const ids = ack.created.map((c) => c.id);
      const { rows: stored } = await db.query<{ id: string }>(`SELECT id FROM resource WHERE type = 'DocumentReference' AND id = ANY($1::text[])`, [ids]);
      expect(stored.map((r) => r.id).sort()).toEqual([...ids].sort());

      // Every committed change (acknowledged or not) has its AuditEvent, naming the exact version.
      const { rows: unaudited } = await db.query<{ ref: string }>(`
        SELECT h.type || '/' || h.id || '/_history/' || h.version_id AS ref FROM ${HISTORY_SOURCE.toQuery().text} h
        WHERE h.type <> 'AuditEvent' AND NOT EXISTS (
          SELECT 1 FROM resource a WHERE a.type = 'AuditEvent' AND a.compartment IS NOT DISTINCT FROM h.compartment
            AND a.text LIKE '%"' || h.type || '/' || h.id || '/_history/' || h.version_id || '"%')`);
      expect(unaudited).toEqual([]);

      // Every acknowledged read has its AuditEvent (the response waited for it).
      const { rows: auditRows } = await db.query<{ id: string; text: string }>(`SELECT id, text FROM resource WHERE type = 'AuditEvent'`);
      const readRequests = new Set(
        auditRows
          .map((row) => readStoredEvent(row.id, row.text).event)
          .filter((event) => event.subtype?.some((c) => c.code === 'read'))
          .map((event) => event.entity?.find((e) => e.type?.code === 'XrequestId')?.what?.identifier?.value),
      );
      expect(ack.reads.filter((requestId) => !readRequests.has(requestId))).toEqual([]);

      // Every committed document has its "document added" outbox row.
      const { rows: noNotice } = await db.query<{ id: string }>(`
        SELECT r.id FROM resource r WHERE r.type = 'DocumentReference'
          AND NOT EXISTS (SELECT 1 FROM notify_outbox o WHERE o.idempotency_key = 'document-added:' || r.id || ':email')`);
      expect(noNotice).toEqual([]);

      const chain = await verifyChain(db, { secret: SECRET });
      expect(chain).toMatchObject({ intact: true });

      // Each outbox row reached the receiver; a resend (same idempotency key) only for a row the killed process was sending.
      const { rows: outbox } = await db.query<{ idempotency_key: string; status: string; attempts: number }>(`SELECT idempotency_key, status, attempts FROM notify_outbox`);
      expect(outbox.length).toBeGreaterThanOrEqual(ack.created.length);
      expect(outbox.filter((o) => o.status !== 'delivered')).toEqual([]);
      const received = new Map<string, number>();
      for (const m of smtp.received) {
        const key = /X-Idempotency-Key:\s+(\S+)/i.exec(m.data)?.[1] as string; // the header may be folded
        received.set(key, (received.get(key) ?? 0) + 1);
      }
      expect([...received.keys()].sort()).toEqual(outbox.map((o) => o.idempotency_key).sort());
      for (const o of outbox) if (o.attempts === 1) expect(received.get(o.idempotency_key)).toBe(1);
    } finally {
      await db.close();
    }
  }, 240_000);
});
