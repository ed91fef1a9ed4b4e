import { waitFor } from '../audit/server-harness';
import type { SmtpReceiver } from '../../unit/notify/receivers';

/** The text of an e-mail as its reader sees it (quoted-printable decoded). */
export const textOf = (data: string): string =>
  Buffer.from(data.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16))), 'latin1').toString('utf8');

/** The e-mails a real SMTP receiver accepted, read as their recipients read them. */
export class Mailbox {
  constructor(private readonly smtp: SmtpReceiver) {}

  /** How many e-mails arrived so far (give it to `mailTo` as `after` to wait for a new one). */
  get count(): number {
    return this.smtp.received.length;
  }

  /** Every e-mail text sent to `address` so far. */
  textsTo(address: string): string[] {
    return this.smtp.received.filter((m) => m.to.includes(address)).map((m) => textOf(m.data));
  }

  /** Waits for an e-mail to `address` whose text matches, among those after the `after`-th; answers its text. */
  // Generous: on a loaded machine (2 cores shared by many runs) delivery can take tens of seconds.
  async mailTo(address: string, pattern: RegExp, after = 0, timeoutMs = 60_000): Promise<string> {
    const find = () => this.smtp.received.slice(after).map((m) => ({ to: m.to, text: textOf(m.data) })).find((m) => m.to.includes(address) && pattern.test(m.text));
    await waitFor(() => !!find(), timeoutMs, `an e-mail to ${address} matching ${pattern}`);
    return find()!.text;
  }
}
