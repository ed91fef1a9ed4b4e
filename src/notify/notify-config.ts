import { readConfigSchema, type KeySpec } from '../config';

const text = (raw: string): string => raw;
const url = (raw: string): string => {
  new URL(raw); // throws on a malformed URL
  return raw;
};
const positive = (raw: string): number => {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new Error('expected a positive integer');
  return n;
};

/** Notification settings, in the same schema shape as `src/config.ts` so the core can merge them. */
export const notifyConfigSchema = {
  smtpUrl: { env: 'SMTP_URL', doc: 'SMTP server for e-mail notices (e.g. smtp://127.0.0.1:2525); unset = e-mails are logged and kept as undeliverable', default: undefined as string | undefined, parse: url },
  mailFrom: { env: 'MAIL_FROM', doc: 'Sender address of e-mail notices', default: 'DMP <no-reply@dmp.invalid>', parse: text },
  smsWebhookUrl: { env: 'SMS_WEBHOOK_URL', doc: 'HTTP endpoint of the SMS provider (JSON POST {to, text}); unset = SMS are logged and kept as undeliverable', default: undefined as string | undefined, parse: url },
  smsWebhookToken: { env: 'SMS_WEBHOOK_TOKEN', doc: 'Credential sent to the SMS provider as "Authorization: Bearer <token>"', default: undefined as string | undefined, parse: text },
  recordUrl: { env: 'NOTIFY_RECORD_URL', doc: 'The patient web space notices link to (its pages are appended: /documents/{id}, /history, /settings); default: BASE_URL + /portal', default: '', parse: url },
  maxAttempts: { env: 'NOTIFY_MAX_ATTEMPTS', doc: 'Delivery attempts before a notice is marked failed', default: 10, parse: positive },
  baseDelayMs: { env: 'NOTIFY_RETRY_BASE_MS', doc: 'First retry delay; doubles at each attempt', default: 2000, parse: positive },
  maxDelayMs: { env: 'NOTIFY_RETRY_MAX_MS', doc: 'Longest delay between two attempts', default: 3_600_000, parse: positive },
  leaseMs: { env: 'NOTIFY_LEASE_MS', doc: 'How long a notice being sent stays reserved; one left by a killed process is retried after it', default: 60_000, parse: positive },
  pollMs: { env: 'NOTIFY_POLL_MS', doc: 'Pause between two outbox polls when there is nothing to send', default: 1000, parse: positive },
} satisfies Record<string, KeySpec<unknown>>;

type Schema = typeof notifyConfigSchema;
export type NotifyConfig = { [K in keyof Schema]: Schema[K]['default'] };

/** Reads the notification settings from an environment; throws one error naming every bad key. */
export function loadNotifyConfig(env: NodeJS.ProcessEnv = process.env): NotifyConfig {
  const config = readConfigSchema(notifyConfigSchema, env, 'notification configuration');
  // Notices link to this server's own patient web space unless another one is configured.
  const base = (env.BASE_URL || `http://localhost:${env.PORT || 8080}`).replace(/\/+$/, '');
  return { ...config, recordUrl: (config.recordUrl || `${base}/portal`).replace(/\/+$/, '') };
}
