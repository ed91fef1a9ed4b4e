import type { ContactPoint, Patient, RelatedPerson } from '@medplum/fhirtypes';
import type { AccountEventOfWrite } from '../audit/account-events-of-write';
import { retireUnusedCodes } from '../auth/account-codes';
import { contactKey, credentialRecipients, guardianContactKey } from '../auth/credential-contacts';
import { buildAccountNotice } from '../notify/messages';
import { insertOutbox, type OutboxEntry } from '../notify/outbox';
import { parisTime } from '../notify/paris-time';
import type { WriteEvent } from '../fhir/context';
import { unprocessable } from '../fhir/errors';
import type { Statements } from '../store/db';
import { isGuardianRelationship } from './access-tables';
import { contactChannel } from './contact-points';
import { loadPatient } from './guardian-rules';

/** The e-mail or mobile of a telecom in `contactKey` spelling (case, +33/0 and spaces ignored), or undefined. */
function keyOf(t: ContactPoint): string | undefined {
  const channel = contactChannel(t);
  return channel && t.value?.trim() ? contactKey(channel, t.value) : undefined;
}

/**
 * The indexes of a guardian's telecoms (`guardianTelecom`) that are also one of the record's e-mails or mobiles
 * (`recordTelecom`), whatever their spelling. A guardian's phone counts whatever its `use`: a number he answers is
 * his, even written as a landline (`guardianContactKey`).
 */
export function sharedContactIndexes(guardianTelecom: ContactPoint[] | undefined, recordTelecom: ContactPoint[] | undefined): number[] {
  const record = new Set((recordTelecom ?? []).map(keyOf).filter((k): k is string => !!k));
  return (guardianTelecom ?? []).flatMap((t, i) => {
    const key = guardianContactKey(t);
    return key && record.has(key) ? [i] : [];
  });
}

/** Why a child's record may not carry a guardian's contact as its own; French, the professional or parent reads it. */
export const GUARDIAN_CONTACT_AS_CHILDS =
  'Cette adresse est celle d’un représentant légal : elle ne peut pas être aussi celle du dossier de l’enfant, qui reçoit ' +
  'son code d’activation et ses codes de connexion (le représentant légal les recevrait et entrerait dans le dossier comme ' +
  'l’enfant lui-même, y compris dans ce qui lui est masqué). Ouvrez le dossier avec les coordonnées personnelles de l’enfant, ' +
  'ou sans coordonnées : le représentant légal reçoit les avis du dossier à sa propre adresse, par ce lien.';

/** The account event a retirement rides on (`../audit/account-events-of-write.ts`), given to the caller's sink. */
export type RetirementEvent = AccountEventOfWrite;

/** French summary of a retirement, as the holder reads it in his trail. */
function retirementSummary(at: Date, retired: { activation: boolean; reset: boolean }): string {
  const both = retired.activation && retired.reset;
  const what = both ? 'Code d’activation et code de réinitialisation du mot de passe annulés' : retired.activation ? 'Code d’activation annulé' : 'Code de réinitialisation du mot de passe annulé';
  return `${what} le ${parisTime(at)} : ${both ? 'ils avaient pu' : 'il avait pu'} parvenir à un représentant légal enregistré ce jour-là, ` +
    'dont l’adresse e-mail ou le numéro de mobile est aussi celui du dossier. Un nouveau code d’activation est remis en personne, à un accueil de l’Assurance Maladie.';
}

/**
 * Tells the holder that his codes were retired, in the caller's transaction: only at a contact his credential codes may
 * go to (`credentialRecipients`: never a contact that is or was a guardian's, nor one a guardian put on the record
 * unconfirmed, nor — the link is not written yet — one of this link's), never to the guardian whose contact caused it.
 * With none, a 'no-recipient' row: the holder reads it among his notices once he has signed in.
 */
async function tellHolder(tx: Statements, input: { patientId: string; patient: Patient; link: RelatedPerson; key: string; at: Date; retired: { activation: boolean; reset: boolean } }): Promise<void> {
  const linkKeys = new Set((input.link.telecom ?? []).map(guardianContactKey).filter((k): k is string => !!k));
  const notLinks = { ...input.patient, telecom: (input.patient.telecom ?? []).filter((t) => !linkKeys.has(keyOf(t) ?? '')) };
  const to = await credentialRecipients(tx, input.patientId, notLinks, input.at);
  const text = buildAccountNotice('activation-code-retired', { at: input.at, retired: input.retired });
  const common = { kind: 'activation-code-retired' as const, patientId: input.patientId, text, createdAt: input.at };
  const entries: OutboxEntry[] = to.length
    ? to.map((r) => ({ ...common, key: `activation-code-retired:${input.key}:${r.channel}:${r.address}`, channel: r.channel, recipient: r.address, status: 'pending' as const }))
    : [{ ...common, key: `activation-code-retired:${input.key}:none`, channel: 'none', recipient: null, status: 'no-recipient', note: 'no contact of the holder\'s own (a guardian\'s contact is never told): counter procedure' }];
  await insertOutbox(tx, entries);
}

/**
 * Issue 12, a minor's credential never handed to a parent: a parent or legal guardian RelatedPerson whose e-mail or
 * mobile is also one of the record's own (`Patient.telecom`, which receives the holder's activation and sign-in codes).
 * - The record opened in the same request (a professional's transaction Bundle: Patient, then the link): 422 naming
 *   the telecom, and everything rolls back — the activation code queued for that address included.
 * - A link written later: the record's activation code went, or may have gone, to the guardian's address, so its unused
 *   activation codes are retired (a paper copy too), and a pending password-reset code likewise; the holder gets a new
 *   one at an Assurance Maladie counter (`$issue-activation`, with his own contact). When a code was pending, the
 *   retirement is its own AuditEvent of the holder's trail (given to `onRetired`, recorded with the link's write) and
 *   the holder is told (`activation-code-retired`, `tellHolder`). The link itself is kept: it is how the guardian acts
 *   and is told.
 * Reset and majority codes never go to a guardian's contact anyway (`auth/credential-contacts.ts`).
 */
export async function guardGuardianContacts(
  tx: Statements,
  event: WriteEvent,
  context: { now: Date; patientsCreatedInRequest?: readonly string[]; onCodesRetired?: (event: RetirementEvent) => void },
): Promise<void> {
  if (event.resourceType !== 'RelatedPerson' || event.interaction === 'delete') return;
  const person = event.resource as RelatedPerson | undefined;
  if (!person || !isGuardianRelationship(person)) return;
  const patientId = /^Patient\/([^/]+)$/.exec(person.patient?.reference ?? '')?.[1] ?? event.compartment ?? '';
  const patient = await loadPatient(tx, patientId);
  const shared = sharedContactIndexes(person.telecom, patient?.telecom);
  if (!shared.length || !patient) return;
  if ((context.patientsCreatedInRequest ?? []).includes(patientId)) {
    throw unprocessable(shared.map((i) => ({ severity: 'error' as const, code: 'business-rule' as const, diagnostics: GUARDIAN_CONTACT_AS_CHILDS, expression: [`RelatedPerson.telecom[${i}]`] })));
  }
  const activation = await retireUnusedCodes(tx, { purpose: 'activation', patientId, now: context.now });
  const reset = await retireUnusedCodes(tx, { purpose: 'password-reset', patientId, now: context.now });
  if (activation + reset === 0) return;
  const retired = { activation: activation > 0, reset: reset > 0 };
  const channels = [...new Set(shared.map((i) => guardianContactKey((person.telecom ?? [])[i])?.split(':')[0]).filter((c): c is string => !!c))];
  context.onCodesRetired?.({
    write: `RelatedPerson/${event.id}`,
    patientId,
    operation: 'activation-code-retired',
    details: [
      { type: 'reason', valueString: 'guardian-contact' },
      { type: 'guardian', valueString: `RelatedPerson/${event.id}` },
      { type: 'shared-channel', valueString: channels.join(' ') },
      { type: 'codes-retired', valueString: `activation:${activation} password-reset:${reset}` },
      { type: 'summary', valueString: retirementSummary(context.now, retired) },
    ],
  });
  await tellHolder(tx, { patientId, patient, link: person, key: `${event.id}:${event.versionId}`, at: context.now, retired });
}
