import type { ContactPoint, Parameters, Patient } from '@medplum/fhirtypes';
import { badRequest, FhirError, unprocessable } from '../fhir/errors';
import type { Recipient } from '../notify/recipients';
import { normaliseContact } from './change-contact-operation';
import { contactChannel } from './contact-points';

/** A contact given at the Assurance Maladie counter, in the form stored. */
export interface CounterContact {
  system: 'email' | 'sms';
  value: string;
}

const PARAMETERS: Record<string, 'email' | 'sms'> = { email: 'email', mobile: 'sms' };

/**
 * The contacts of a `$issue-activation` body (`email`, `mobile`, each at most once, as valueString): none without a
 * body. 400 on another parameter or a body that is not Parameters; 422 naming the parameter when a value is not an
 * e-mail address or a mobile number.
 */
export function parseCounterContacts(body: unknown): CounterContact[] {
  if (body === undefined || body === null || (Buffer.isBuffer(body) && body.length === 0)) return [];
  const params = body as Parameters;
  if (params.resourceType !== 'Parameters') throw badRequest('$issue-activation takes no body, or a Parameters resource (email, mobile)');
  const contacts: CounterContact[] = [];
  (params.parameter ?? []).forEach((p, i) => {
    const system = PARAMETERS[p.name];
    if (!system || typeof p.valueString !== 'string' || !p.valueString.trim()) {
      throw badRequest(`Parameters.parameter[${i}]: unknown or mistyped parameter "${p.name}" ($issue-activation takes email and mobile, as valueString)`);
    }
    if (contacts.some((c) => c.system === system)) throw badRequest(`Parameters.parameter[${i}]: "${p.name}" is given twice`);
    try {
      contacts.push(normaliseContact(system, p.valueString.trim()) as CounterContact);
    } catch (err) {
      if (!(err instanceof FhirError)) throw err;
      throw unprocessable([{ severity: 'error', code: 'value', diagnostics: `Parameter "${p.name}": ${err.message}`, expression: [`Parameters.parameter[${i}].valueString`] }]);
    }
  });
  return contacts;
}

/**
 * The telecom with the counter's contacts: each replaces the e-mails or mobiles of its channel (keeping the rank of
 * the one it replaces), and `dropped` contacts of the other channel (a former guardian's) go too.
 */
export function withCounterContacts(telecom: ContactPoint[], contacts: CounterContact[], dropped: (t: ContactPoint) => boolean): ContactPoint[] {
  const channels = new Set(contacts.map((c) => c.system));
  const kept = telecom.filter((t) => {
    const channel = contactChannel(t);
    return !channel || (!channels.has(channel) && !dropped(t));
  });
  const added = contacts.map((c): ContactPoint => {
    const rank = telecom.filter((t) => contactChannel(t) === c.system).map((t) => t.rank).find((r) => r !== undefined);
    const point: ContactPoint = c.system === 'email' ? { system: 'email', value: c.value } : { system: 'phone', use: 'mobile', value: c.value };
    return rank === undefined ? point : { ...point, rank };
  });
  return [...kept, ...added];
}

/** The e-mails and mobiles of `previous` that `next` no longer has: they are told of the change. */
export function removedContacts(previous: ContactPoint[], next: ContactPoint[]): Recipient[] {
  const still = new Set(next.map((t) => `${contactChannel(t)}:${t.value?.trim()}`));
  const removed: Recipient[] = [];
  for (const t of previous) {
    const channel = contactChannel(t);
    const address = t.value?.trim();
    if (channel && address && !still.has(`${channel}:${address}`) && !removed.some((r) => r.channel === channel && r.address === address)) removed.push({ channel, address });
  }
  return removed;
}

/** The Patient with the counter's contacts, for `svc.validate` and the update (its meta is the server's). */
export function patientWithCounterContacts(previous: Patient, contacts: CounterContact[], dropped: (t: ContactPoint) => boolean): Patient {
  const next: Patient = { ...previous, telecom: withCounterContacts(previous.telecom ?? [], contacts, dropped) };
  delete next.meta;
  return next;
}
