import type { ContactPoint, Patient, RelatedPerson } from '@medplum/fhirtypes';
import { isGuardianRelationship } from './access-tables';
import type { RequestContext, WriteEvent } from '../fhir/context';
import { forbidden } from '../fhir/errors';
import { assertAccountToken } from './account-token';
import { NOTIFY_PREFERENCE_URL, NOTIFY_PREFERENCES_URL } from '../notify/notice-preferences';
import { ownsRecord, type DmpActor } from './actor';
import { StateKey } from '../fhir/request-state';

/** Set (to the Patient id) on the server's own write that applies a confirmed contact change. */
export const CONFIRMED_CONTACT_STATE = new StateKey<string>('access.confirmedContact');
/** Set (to the Patient id) on the write of `$issue-activation` recording the contact given at the counter. */
export const COUNTER_CONTACT_STATE = new StateKey<string>('access.counterContact');

/** The sign-in and notice channel of a telecom (as `resolveRecipients` uses it), or undefined for other telecoms. */
export function contactChannel(telecom: ContactPoint): 'email' | 'sms' | undefined {
  if (telecom.system === 'email') return 'email';
  if (telecom.system === 'sms' || (telecom.system === 'phone' && telecom.use === 'mobile')) return 'sms';
  return undefined;
}

/** What decides where codes and notices go: each e-mail/mobile with its rank and end, in a stable order. */
function contactFingerprint(holder: { telecom?: ContactPoint[] } | undefined): string {
  const contacts = (holder?.telecom ?? [])
    .filter((t) => contactChannel(t))
    .map((t) => JSON.stringify([contactChannel(t), (t.value ?? '').trim(), t.rank ?? null, t.period?.end ?? null]))
    .sort();
  return JSON.stringify(contacts);
}

/** The notice choices of a record (record-wide channel and per-group choices), compared as one string. */
function preferenceOf(patient: Patient | undefined): string {
  const ext = patient?.extension ?? [];
  return JSON.stringify([ext.find((e) => e.url === NOTIFY_PREFERENCE_URL)?.valueCode ?? null, ext.find((e) => e.url === NOTIFY_PREFERENCES_URL)?.extension ?? null]);
}

/**
 * Issue 12, contact points: the e-mail and mobile numbers that receive sign-in codes and notices are set by the
 * creator of a record, then changed only through `$change-contact` / `$confirm-contact` (a code sent to the new
 * contact, the old one told): any other Patient update that adds, changes or removes one answers 403, the patient's
 * own included. The notice preference is the patient's (or his guardian's) alone, not an application's (account-token.ts).
 */
export function assertContactPointsKept(ctx: RequestContext, actor: DmpActor, event: WriteEvent): void {
  if (event.resourceType !== 'Patient' || event.interaction === 'create' || event.interaction === 'delete') return;
  const next = event.resource as Patient | undefined;
  const previous = event.previous as Patient | undefined;
  const confirmed = ctx.state.get(CONFIRMED_CONTACT_STATE) === event.id;
  if (!confirmed && contactFingerprint(next) !== contactFingerprint(previous)) {
    throw forbidden(
      'The e-mail addresses and mobile numbers of a record (Patient.telecom) receive its sign-in codes and notices: only the patient changes them, ' +
        'with Patient/{id}/$change-contact then $confirm-contact (a code is sent to the new contact)',
    );
  }
  if (preferenceOf(next) !== preferenceOf(previous)) {
    if (!ownsRecord(actor, event.id)) throw forbidden('Only the patient or a legal guardian chooses where notices are sent');
    // The notices tell the patient who accessed his record (first accesses, emergencies): an app does not silence them.
    assertAccountToken(actor, 'choose where the notices of the record are sent');
  }
}

/** Why another person may not change a legal representative's e-mail or mobile (French: the professional or parent reads it). */
export const GUARDIAN_CONTACTS_HIS_OWN =
  'L’adresse e-mail et le numéro de mobile d’un représentant légal reçoivent les avis du dossier à sa place : seul ce représentant ' +
  'légal les modifie, connecté avec son propre compte (ou la procédure d’identité vérifiée, à un guichet). Ni l’autre parent, ' +
  'ni le titulaire du dossier, ni un professionnel ne peut les changer ou les retirer.';

/**
 * Issue 12, contacts changed without confirmation: the e-mail and mobile of an existing parent's or legal guardian's
 * RelatedPerson are where the record's notices reach him. Another guardian of the record (the other parent), the holder
 * or the link's writer changing them would silence him or send his notices elsewhere: only that guardian himself (his
 * own token) or the identity-verified procedure changes them (403 otherwise). A new link's contacts are its creator's.
 */
export function assertGuardianContactsKept(actor: DmpActor, event: WriteEvent): void {
  if (event.resourceType !== 'RelatedPerson' || event.interaction === 'create' || event.interaction === 'delete') return;
  const previous = event.previous as RelatedPerson | undefined;
  if (!previous || !isGuardianRelationship(previous)) return;
  if (contactFingerprint(event.resource as RelatedPerson | undefined) === contactFingerprint(previous)) return;
  const himself = actor.kind === 'guardian' && actor.id === event.id;
  const verifier = actor.kind === 'practitioner' && actor.role === 'identity-verifier';
  if (!himself && !verifier) throw forbidden(GUARDIAN_CONTACTS_HIS_OWN);
}
