import { isPhoneNumber } from '../../validation/displayed-text';
import { type OutgoingMessage, PermanentDeliveryError, type Transport } from './transport';

/**
 * SMS through the provider's HTTP webhook (`SMS_WEBHOOK_URL`, `SMS_WEBHOOK_TOKEN`): a JSON POST of
 * `{ to, text }` with `Authorization: Bearer <token>` and an `Idempotency-Key` header.
 */
export class SmsWebhookTransport implements Transport {
  readonly channel = 'sms' as const;

  constructor(
    private readonly url: string,
    private readonly token?: string,
    private readonly timeoutMs = 10_000,
  ) {}

  /** Posts one SMS; 2xx = delivered to the provider, 4xx (but 408/429) = permanent, anything else = retry. */
  async send(message: OutgoingMessage): Promise<{ providerRef?: string }> {
    // One number (a provider may read "06…,07…" as two): a row stored before writes checked contacts is never sent.
    if (!isPhoneNumber(message.recipient)) throw new PermanentDeliveryError('recipient is not one phone number');
    const headers: Record<string, string> = { 'content-type': 'application/json', 'idempotency-key': message.key };
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    const response = await fetch(this.url, {
      method: 'POST',
      headers,
      body: JSON.stringify({ to: message.recipient, text: message.body }),
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    const answer = await response.text().catch(() => '');
    if (response.ok) {
      let ref: string | undefined;
      try {
        const json = JSON.parse(answer) as { id?: unknown };
        ref = typeof json.id === 'string' ? json.id : undefined;
      } catch {
        ref = undefined;
      }
      return { providerRef: ref };
    }
    const detail = `SMS webhook answered ${response.status}`;
    if (response.status >= 400 && response.status < 500 && response.status !== 408 && response.status !== 429) throw new PermanentDeliveryError(detail);
    throw new Error(detail);
  }
}
