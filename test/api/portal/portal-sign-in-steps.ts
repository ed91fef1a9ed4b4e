import { waitFor } from '../audit/server-harness';
import type { SmtpReceiver } from '../../unit/notify/receivers';
import { formOf, type Browser } from '../smart/launch-driver';

/**
 * A real portal sign-in up to its second factor: /portal/login, the SMART authorize redirect, the password form, and
 * the six-digit code read from the e-mail the SMTP receiver got. Answers the page that follows the code (the record
 * choice of a guardian, else the consent screen), for the caller to go on.
 */
export async function signInThroughCode(baseUrl: string, browser: Browser, smtp: SmtpReceiver, identifier: string, password: string): Promise<string> {
  let res = await browser.get(`${baseUrl}/portal/login?next=/portal/`);
  res = await browser.get(new URL(res.headers.get('location') as string, baseUrl).toString());
  let form = formOf(await res.text());
  const mails = smtp.received.length;
  res = await browser.post(baseUrl + form.action, { ...form.fields, identifier, password }, { origin: baseUrl });
  form = formOf(await res.text());
  await waitFor(() => smtp.received.length > mails, 30_000, 'the sign-in code');
  const code = /\b(\d{6})\b/.exec(Buffer.from(smtp.received[smtp.received.length - 1].data.replace(/=\r?\n/g, ''), 'latin1').toString('utf8'))?.[1] as string;
  res = await browser.post(baseUrl + form.action, { ...form.fields, code }, { origin: baseUrl });
  return res.text();
}
