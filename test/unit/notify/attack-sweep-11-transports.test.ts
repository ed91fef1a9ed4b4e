import { PermanentDeliveryError } from '../../../src/notify/transports/transport';
import { SmsWebhookTransport } from '../../../src/notify/transports/sms-webhook-transport';
import { SmtpTransport } from '../../../src/notify/transports/smtp-transport';
import { SmtpReceiver, WebhookReceiver } from './receivers';

// Attack sweep 11: an outbox row queued before writes checked contacts (src/validation/displayed-text.ts) may name
// "a@x.fr, b@y.fr" — nodemailer sends to both, a provider may read "06…,07…" as two numbers. The transports hand one
// bare address or one number to their provider, or give the message up for good: a code meant for the holder never
// reaches a second person. Real receivers on loopback say who was reached.

const smtp = new SmtpReceiver();
const webhook = new WebhookReceiver();
let email: SmtpTransport;
let sms: SmsWebhookTransport;

beforeAll(async () => {
  await smtp.start();
  await webhook.start();
  email = new SmtpTransport(`smtp://127.0.0.1:${smtp.port}`, 'DMP <no-reply@dmp.test>');
  sms = new SmsWebhookTransport(webhook.url, 'secret-token', 2000);
});
afterAll(async () => {
  await email.close();
  await smtp.stop();
  await webhook.stop();
});

const message = (recipient: string, n: number) => ({ key: `sweep11-${n}`, recipient, subject: 'Votre code de connexion', body: 'Votre code de connexion au DMP est 123456.' });

test.each([
  ['a comma list', 'patient@example.org, intrus@example.org'],
  ['a semicolon list', 'patient@example.org;intrus@example.org'],
  ['a display name before another address', 'patient@example.org <intrus@example.org>'],
  ['a line break', 'patient@example.org\r\nintrus@example.org'],
])('an e-mail recipient written as %s is refused for good and reaches nobody', async (_label, recipient) => {
  const before = smtp.received.length;
  await expect(email.send(message(recipient, before))).rejects.toBeInstanceOf(PermanentDeliveryError);
  expect(smtp.received.length).toBe(before);
});

test('one address is delivered to it alone (the comparison can fail)', async () => {
  await email.send(message('patient@example.org', 99));
  expect(smtp.received.at(-1)?.to).toEqual(['patient@example.org']);
});

test('an SMS recipient holding two numbers is refused for good and never posted; one number is', async () => {
  await expect(sms.send(message('+33612345678,+33698765432', 1))).rejects.toBeInstanceOf(PermanentDeliveryError);
  expect(webhook.received).toHaveLength(0);
  await sms.send(message('+33612345678', 2));
  expect(webhook.received.map((r) => r.body.to)).toEqual(['+33612345678']);
});
