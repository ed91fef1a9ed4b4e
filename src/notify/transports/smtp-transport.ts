import { createHash } from 'node:crypto';
import { createTransport, type Transporter } from 'nodemailer';
import { isOneEmailAddress } from '../../validation/displayed-text';
import { type OutgoingMessage, PermanentDeliveryError, type Transport } from './transport';

/** E-mail over SMTP with nodemailer (`SMTP_URL`, `MAIL_FROM`). */
export class SmtpTransport implements Transport {
  readonly channel = 'email' as const;
  private readonly transporter: Transporter;

  constructor(
    smtpUrl: string,
    private readonly from: string,
  ) {
    this.transporter = createTransport(smtpUrl);
  }

  /** Sends one e-mail; its Message-ID derives from the idempotency key so a resend is recognisable. */
  async send(message: OutgoingMessage): Promise<{ providerRef?: string }> {
    // A row stored before writes checked contacts (attack sweep 11) may hold "a@x.fr, b@y.fr": nodemailer would send
    // the codes and notices of the record to both. One bare address, or the message is never sent.
    if (!isOneEmailAddress(message.recipient)) throw new PermanentDeliveryError('recipient is not one e-mail address');
    const messageId = `<${createHash('sha256').update(message.key).digest('hex').slice(0, 32)}@dmp-notify>`;
    try {
      const info = await this.transporter.sendMail({
        from: this.from,
        to: message.recipient,
        subject: message.subject,
        text: message.body,
        messageId,
        headers: { 'X-Idempotency-Key': message.key },
      });
      return { providerRef: info.messageId };
    } catch (err) {
      const code = (err as { responseCode?: number }).responseCode;
      // 5xx is the server's final word on this message (unknown mailbox, refused sender …).
      if (code !== undefined && code >= 500) throw new PermanentDeliveryError(`SMTP ${code}: ${(err as Error).message}`);
      throw err;
    }
  }

  async close(): Promise<void> {
    this.transporter.close();
  }
}
