import { spawn } from 'node:child_process';
import path from 'node:path';
import { resendNotices } from '../../../src/cli/resend-notices';
import { Dispatcher } from '../../../src/notify/dispatcher';
import { loadNotifyConfig } from '../../../src/notify/notify-config';
import { claimUndeliverable } from '../../../src/notify/outbox-store';
import { createTransports } from '../../../src/notify/transports/create-transports';
import { SystemRepository } from '../../../src/system/system-repository';
import { sql } from '../../../src/store/sql';
import { SmtpReceiver } from '../../unit/notify/receivers';
import { loadFixture } from '../access/fixture';
import { startAuditServer, waitFor, type AuditServer } from '../audit/server-harness';

// Issue 14: notices queued while no transport was configured stayed undeliverable for ever. `npm run notices:resend`
// queues them again once SMTP_URL is set and sends them, to the same real SMTP receiver as the account tests.

const ROOT = path.join(__dirname, '../../..');
let s: AuditServer;
const smtp = new SmtpReceiver();

const statuses = async () =>
  (await s.server.db.query<{ status: string; channel: string }>(sql`SELECT status, channel FROM notify_outbox ORDER BY id`)).rows;

/** A break-glass read of p1's record: its notice goes to the guardian's e-mail, and no transport is configured. */
let emergencies = 0;
async function queueUndeliverableNotice(): Promise<void> {
  const before = (await statuses()).filter((r) => r.status === 'undeliverable-config').length;
  // A new emergency physician each time: each one's first access is a notice of its own.
  const btg = await s.token({ kind: 'practitioner', id: `100000000${55 + 11 * emergencies++}`, purpose: 'BTG', reason: 'coma' });
  expect((await s.fhir(btg, 'GET', '/Patient/p1')).status).toBe(200);
  await waitFor(async () => (await statuses()).filter((r) => r.status === 'undeliverable-config').length > before, 15_000, 'an undeliverable notice');
  // One access may queue several notices (the patient's and, p1 being a minor, her guardian's copy): wait until the
  // dispatcher has set every one aside, so that the counts below are not taken in the middle.
  await waitFor(async () => (await statuses()).every((r) => r.status !== 'pending' && r.status !== 'sending'), 15_000, 'the outbox to settle');
}

beforeAll(async () => {
  await smtp.start();
  s = await startAuditServer({ NOTIFY_POLL_MS: '100' });
  await loadFixture(s.server.service);
}, 120_000);
afterAll(async () => {
  await s?.close();
  await smtp.stop();
});

test('without a transport the command leaves the notices as they are and says why', async () => {
  await queueUndeliverableNotice();
  const { lines, code } = await resendNotices(s.server.db, {}, { channels: ['email'], queueOnly: false, dryRun: false });
  expect(code).toBe(0);
  expect(lines[0]).toMatch(/^email: \d+ undeliverable notice\(s\) left as they are: no email transport configured \(SMTP_URL\)$/);
  expect((await statuses()).some((r) => r.status === 'undeliverable-config')).toBe(true);
});

test('with SMTP_URL set, the notices are queued again and delivered to the SMTP server', async () => {
  const waiting = (await statuses()).filter((r) => r.status === 'undeliverable-config' && r.channel === 'email').length;
  expect(waiting).toBeGreaterThan(0);
  const received = smtp.received.length;
  const { lines, code } = await resendNotices(s.server.db, { SMTP_URL: `smtp://127.0.0.1:${smtp.port}` }, { channels: ['email'], queueOnly: false, dryRun: false });
  expect(lines[0]).toBe(`email: ${waiting} notice(s) queued again`);
  expect(code).toBe(0);
  expect(smtp.received.length - received).toBe(waiting);
  expect((await statuses()).filter((r) => r.channel === 'email' && r.status !== 'delivered')).toEqual([]);
});

const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };

test('notices claimed for sending cannot be taken back by a server still running without the transport', async () => {
  await queueUndeliverableNotice();
  const now = new Date();
  const claimed = await claimUndeliverable(s.server.db, 'email', { now, leaseMs: 60_000, limit: 20 });
  expect(claimed.length).toBeGreaterThan(0);
  // The server's dispatcher (no transport) passes between the claim and the sending: it finds nothing to set aside.
  const bare = new Dispatcher({ system: new SystemRepository(s.server.db), transports: {}, logger: quiet, clock: () => now });
  expect((await bare.runOnce()).undeliverable).toBe(0);
  const received = smtp.received.length;
  const transports = createTransports(loadNotifyConfig({ SMTP_URL: `smtp://127.0.0.1:${smtp.port}` }));
  try {
    const sender = new Dispatcher({ system: new SystemRepository(s.server.db), transports, logger: quiet, clock: () => now });
    expect((await sender.deliverClaimed(claimed)).delivered).toBe(claimed.length);
  } finally {
    await transports.email?.close?.();
  }
  expect(smtp.received.length - received).toBe(claimed.length);
});

test('`npm run notices:resend` does the same as a command, with its exit code (PostgreSQL: a second process)', async () => {
  if (!s.testDb.url) {
    console.log('notices:resend as a separate process not run: TEST_DATABASE_URL is not set (an in-memory PGlite has one process)');
    return;
  }
  await queueUndeliverableNotice();
  const waiting = (await statuses()).filter((r) => r.status === 'undeliverable-config' && r.channel === 'email').length;
  const received = smtp.received.length;
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'src/cli/resend-notices.ts'), '--channel', 'email'], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, DATABASE_URL: s.testDb.url, SMTP_URL: `smtp://127.0.0.1:${smtp.port}` },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString('utf8')));
  child.stderr.on('data', (c: Buffer) => (out += c.toString('utf8')));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  expect(out).toBe(`email: ${waiting} notice(s) queued again\nsent: ${waiting} delivered, 0 to retry, 0 failed for good; 0 notice(s) still queued\n`);
  expect(code).toBe(0);
  expect(smtp.received.length - received).toBe(waiting);
}, 120_000);
