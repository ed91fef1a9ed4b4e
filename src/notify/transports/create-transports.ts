import type { NotifyConfig } from '../notify-config';
import { SmsWebhookTransport } from './sms-webhook-transport';
import { SmtpTransport } from './smtp-transport';
import type { Transport } from './transport';

/** The transports the configuration enables; a channel left out makes its messages undeliverable-by-configuration. */
export function createTransports(config: NotifyConfig): Partial<Record<'email' | 'sms', Transport>> {
  const out: Partial<Record<'email' | 'sms', Transport>> = {};
  if (config.smtpUrl) out.email = new SmtpTransport(config.smtpUrl, config.mailFrom);
  if (config.smsWebhookUrl) out.sms = new SmsWebhookTransport(config.smsWebhookUrl, config.smsWebhookToken);
  return out;
}
