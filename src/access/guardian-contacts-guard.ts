import type { ContactPoint, RelatedPerson } from '@medplum/fhirtypes';
import { retireUnusedCodes } from '../auth/account-codes';
import { contactKey } from '../auth/credential-contacts';
import type { WriteEvent } from '../fhir/context';
import { unprocessable } from '../fhir/errors';
import type { Db } from '../store/db';
import { isGuardianRelationship } from './access-tables';
import { contactChannel } from './contact-points';
import { loadPatient } from './guardian-rules';

/** The e-mail or mobile of a telecom in `contactKey` spelling (case, +33/0 and spaces ignored), or undefined. */
function keyOf(t: ContactPoint): string | undefined {
  const channel = contactChannel(t);
  return channel && t.value?.trim() ? contactKey(channel, t.value) : undefined;
}

/** The indexes of the e-mails and mobiles of `telecom` that are also in `others`, whatever their spelling. */
export function sharedContactIndexes(telecom: ContactPoint[] | undefined, others: ContactPoint[] | undefined): number[] {
  const theirs = new Set((others ?? []).map(keyOf).filter((k): k is string => !!k));
  return (telecom ?? []).flatMap((t, i) => {
    const key = keyOf(t);
    return key && theirs.has(key) ? [i] : [];
  });
}

/** Why a child's record may not carry a guardian's contact as its own; French, the professional or parent reads it. */
export const GUARDIAN_CONTACT_AS_CHILDS =
  'Cette adresse est celle d’un représentant légal : elle ne peut pas être aussi celle du dossier de l’enfant, qui reçoit ' +
  'son code d’activation et ses codes de connexion (le représentant légal les recevrait et entrerait dans le dossier comme ' +
  'l’enfant lui-même, y compris dans ce qui lui est masqué). Ouvrez le dossier avec les coordonnées personnelles de l’enfant, ' +
  'ou sans coordonnées : le représentant légal reçoit les avis du dossier à sa propre adresse, par ce lien.';

/**
 * Issue 12, a minor's credential never handed to a parent: a parent or legal guardian RelatedPerson whose e-mail or
 * mobile is also one of the record's own (`Patient.telecom`, which receives the holder's activation and sign-in codes).
 * - The record opened in the same request (a professional's transaction Bundle: Patient, then the link): 422 naming
 *   the telecom, and everything rolls back — the activation code queued for that address included.
 * - A link written later: the record's activation code went, or may have gone, to the guardian's address, so its unused
 *   activation codes are retired (a paper copy too); the holder gets a new one at an Assurance Maladie counter
 *   (`$issue-activation`, with his own contact). The link itself is kept: it is how the guardian acts and is told.
 * Reset and majority codes never go to a guardian's contact anyway (`auth/credential-contacts.ts`).
 */
export async function guardGuardianContacts(tx: Db, event: WriteEvent, context: { now: Date; patientsCreatedInRequest?: readonly string[] }): Promise<void> {
  if (event.resourceType !== 'RelatedPerson' || event.interaction === 'delete') return;
  const person = event.resource as RelatedPerson | undefined;
  if (!person || !isGuardianRelationship(person)) return;
  const patientId = /^Patient\/([^/]+)$/.exec(person.patient?.reference ?? '')?.[1] ?? event.compartment ?? '';
  const shared = sharedContactIndexes(person.telecom, (await loadPatient(tx, patientId))?.telecom);
  if (!shared.length) return;
  if ((context.patientsCreatedInRequest ?? []).includes(patientId)) {
    throw unprocessable(shared.map((i) => ({ severity: 'error' as const, code: 'business-rule' as const, diagnostics: GUARDIAN_CONTACT_AS_CHILDS, expression: [`RelatedPerson.telecom[${i}]`] })));
  }
  await retireUnusedCodes(tx, { purpose: 'activation', patientId, now: context.now });
}
