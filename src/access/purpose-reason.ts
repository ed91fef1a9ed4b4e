/**
 * Attack sweep 11: the reason a professional states for an emergency access (X-Purpose-Reason, or the token's
 * `purpose_reason` / `Mode_Acces_Raison`) is written into the e-mail or SMS the patient and his guardians receive
 * ("Motif indiqué : …", notify/messages.ts) and into the access history of his web space. Free of rules, it let the
 * professional put a second, forged message into the server's own notice — line breaks, a fake "Consultez votre
 * dossier : https://…" link before the real one, characters turning the text around — or a 16 KB text sent as tens
 * of SMS. A reason is one line of at most REASON_MAX characters, without control or bidi characters and without a
 * link; anything else is the client's error (400), refused before any data is read.
 */

export const REASON_MAX = 300;

const CONTROLS = /[\u0000-\u001F\u007F-\u009F\u200B\u202A-\u202E\u2028\u2029\u2060\u2066-\u2069\uFEFF]/;
/** A link a mail program or a phone would make clickable: a scheme, "www.", or a host name under a common TLD. */
const LINK = /[a-z][a-z0-9+.-]*:\/\/|\b(?:mailto|tel|sms|javascript|data):|\bwww\.|\b[a-z0-9-]+\.(?:fr|com|net|org|info|eu|io|co|me|ly|biz|xyz|site|online)\b/i;

/** Why a stated purpose reason may not be recorded and sent to the patient, or undefined when it may. */
export function purposeReasonProblem(reason: string): string | undefined {
  if ([...reason].length > REASON_MAX) return `The purpose reason is sent to the patient by e-mail or SMS: at most ${REASON_MAX} characters`;
  if (CONTROLS.test(reason)) return 'The purpose reason is one line of text: no line break, control, bidi or invisible character';
  if (LINK.test(reason)) return 'The purpose reason is sent to the patient by e-mail or SMS: it may not carry a link or an address';
  return undefined;
}
