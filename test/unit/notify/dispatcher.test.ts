import http from 'node:http';
import { Dispatcher, backoffMs } from '../../../src/notify/dispatcher';
import { buildNotice } from '../../../src/notify/messages';
import { queueNotices } from '../../../src/notify/outbox';
import { claimDue } from '../../../src/notify/outbox-store';
import { SmsWebhookTransport } from '../../../src/notify/transports/sms-webhook-transport';
import { SmtpTransport } from '../../../src/notify/transports/smtp-transport';
import type { Transport } from '../../../src/notify/transports/transport';
import type { PgliteDb } from '../../../src/store/pglite-db';
import { SystemRepository } from '../../../src/system/system-repository';
import { openTestDb } from '../audit/test-db';
import { SmtpReceiver, WebhookReceiver } from './receivers';

interface Row {
  id: number;
  channel: string;
  status: string;
  attempts: number;
  next_attempt_at: Date;
  last_error: string | null;
}

const t0 = new Date('2026-05-01T08:00:00.000Z');

class Logs {
  readonly lines: { level: string; message: string; meta: Record<string, unknown> }[] = [];
  info = (message: string, meta: Record<string, unknown> = {}) => void this.lines.push({ level: 'info', message, meta });
  warn = (message: string, meta: Record<string, unknown> = {}) => void this.lines.push({ level: 'warn', message, meta });
  error = (message: string, meta: Record<string, unknown> = {}) => void this.lines.push({ level: 'error', message, meta });
}

describe('notification dispatcher with real receivers', () => {
  let db: PgliteDb;
  let smtp: SmtpReceiver;
  let webhook: WebhookReceiver;
  let transports: Transport[] = [];
  let now: Date;
  const clock = () => now;

  beforeEach(async () => {
    db = await openTestDb();
    now = t0;
    smtp = new SmtpReceiver();
    webhook = new WebhookReceiver();
    await smtp.start();
    await webhook.start();
    const patient = JSON.stringify({
      resourceType: 'Patient',
      id: 'pat-a',
      telecom: [{ system: 'email', value: 'alice@example.org' }, { system: 'sms', value: '+33600000001' }],
      extension: [{ url: 'https://dmp-fhir-adapter.org/fhir/StructureDefinition/notification-channel', valueCode: 'all' }],
    });
    await db.query(`INSERT INTO resource (type, id, version_id, last_updated, compartment, content, text) VALUES ('Patient', 'pat-a', 1, now(), 'pat-a', $1::jsonb, $1)`, [patient]);
    await db.transaction((tx) =>
      queueNotices(tx, [{ key: 'document-added:doc-1', kind: 'document-added', patientId: 'pat-a', text: buildNotice('document-added', { at: t0 }, 'https://record.example/'), createdAt: t0 }]),
    );
  });
  afterEach(async () => {
    await Promise.all(transports.map((t) => t.close?.()));
    transports = [];
    await smtp.stop();
    await webhook.stop();
    await db.close();
  });

  function dispatcher(logs = new Logs(), options: { email?: boolean; sms?: boolean } = { email: true, sms: true }): Dispatcher {
    const email = options.email ? new SmtpTransport(`smtp://127.0.0.1:${smtp.port}`, 'DMP <no-reply@dmp.test>') : undefined;
    const sms = options.sms ? new SmsWebhookTransport(webhook.url, 'secret-token', 2000) : undefined;
    for (const t of [email, sms]) if (t) transports.push(t);
    return new Dispatcher({ system: new SystemRepository(db), transports: { email, sms }, logger: logs, clock, baseDelayMs: 1000, maxDelayMs: 60_000 });
  }

  async function rows(): Promise<Row[]> {
    return (await db.query<Row>(`SELECT id, channel, status, attempts, next_attempt_at, last_error FROM notify_outbox ORDER BY id`)).rows;
  }

  it('delivers an e-mail over SMTP and an SMS through the webhook', async () => {
    const report = await dispatcher().runOnce();
    expect(report).toMatchObject({ delivered: 2, retried: 0 });
    expect(smtp.received).toHaveLength(1);
    expect(smtp.received[0].to).toEqual(['alice@example.org']);
    expect(smtp.received[0].data).toContain('Un nouveau document a'); // the rest is quoted-printable (accents)
    expect(webhook.received).toEqual([{ body: { to: '+33600000001', text: expect.stringContaining('Un nouveau document a été ajouté') }, authorization: 'Bearer secret-token', key: 'document-added:doc-1:sms' }]);
    expect((await rows()).map((r) => r.status)).toEqual(['delivered', 'delivered']);
  });

  it('retries with exponential backoff while the receivers are down, then delivers exactly once', async () => {
    await smtp.stop();
    await webhook.stop();
    const d = dispatcher();
    expect(await d.runOnce()).toMatchObject({ retried: 2 });
    let state = await rows();
    expect(state.map((r) => [r.status, r.attempts])).toEqual([['pending', 1], ['pending', 1]]);
    expect(state.every((r) => new Date(r.next_attempt_at).getTime() === t0.getTime() + 1000)).toBe(true);

    now = new Date(t0.getTime() + 500);
    expect(await d.runOnce()).toMatchObject({ retried: 0, delivered: 0 }); // not due yet

    now = new Date(t0.getTime() + 1000);
    expect(await d.runOnce()).toMatchObject({ retried: 2 });
    state = await rows();
    expect(state.every((r) => r.attempts === 2 && new Date(r.next_attempt_at).getTime() === now.getTime() + 2000)).toBe(true);
    expect(backoffMs(3, 1000, 60_000)).toBe(4000);

    await smtp.start();
    await webhook.start();
    now = new Date(now.getTime() + 2000);
    expect(await d.runOnce()).toMatchObject({ delivered: 2 });
    now = new Date(now.getTime() + 3_600_000);
    expect(await d.runOnce()).toMatchObject({ delivered: 0, retried: 0 });
    expect(smtp.received).toHaveLength(1);
    expect(webhook.received).toHaveLength(1);
    expect((await rows()).map((r) => [r.status, r.attempts])).toEqual([['delivered', 3], ['delivered', 3]]);
  });

  it('does not resend after a restart: a new dispatcher on the same database finds nothing to do', async () => {
    const first = dispatcher();
    first.start();
    await waitFor(async () => (await rows()).every((r) => r.status === 'delivered'));
    await first.stop();
    const second = dispatcher();
    now = new Date(t0.getTime() + 86_400_000);
    expect(await second.runOnce()).toMatchObject({ delivered: 0 });
    expect(smtp.received).toHaveLength(1);
    expect(webhook.received).toHaveLength(1);
  });

  it('takes over a row left mid-send by a killed dispatcher once its lease expires, with the same idempotency key', async () => {
    const claimed = await claimDue(db, { now, leaseMs: 60_000, limit: 10 }); // the dead dispatcher's claim
    expect(claimed).toHaveLength(2);
    const next = dispatcher();
    expect(await next.runOnce()).toMatchObject({ delivered: 0 });
    now = new Date(t0.getTime() + 61_000);
    expect(await next.runOnce()).toMatchObject({ delivered: 2 });
    expect(webhook.received.map((r) => r.key)).toEqual(['document-added:doc-1:sms']);
  });

  it('logs by id and kind, keeps messages whose transport is not configured, and never drops them', async () => {
    const logs = new Logs();
    expect(await dispatcher(logs, {}).runOnce()).toMatchObject({ undeliverable: 2 });
    expect((await rows()).map((r) => r.status)).toEqual(['undeliverable-config', 'undeliverable-config']);
    // Issue 14: the text may hold health data (a break-glass reason) and the recipient is personal data: neither is logged.
    const warned = logs.lines.filter((l) => l.level === 'warn');
    expect(warned.map((l) => [l.meta.channel, l.meta.kind])).toEqual([
      ['email', 'document-added'],
      ['sms', 'document-added'],
    ]);
    expect(JSON.stringify(warned)).not.toMatch(/Un nouveau document|@|\+336/);
  });

  it('gives up on a message the provider refuses for good', async () => {
    await webhook.stop();
    const refusing = http.createServer((_req, res) => res.writeHead(400).end());
    await new Promise<void>((r) => refusing.listen(webhook.port, '127.0.0.1', r));
    try {
      expect(await dispatcher().runOnce()).toMatchObject({ delivered: 1, failed: 1 });
      expect((await rows()).find((r) => r.channel === 'sms')).toMatchObject({ status: 'failed', last_error: 'SMS webhook answered 400' });
    } finally {
      await new Promise<void>((r) => refusing.close(() => r()));
    }
  });
});

async function waitFor(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('condition not reached in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}
