import type { ContactPoint, Patient, RelatedPerson } from '@medplum/fhirtypes';
import { isGuardianRelationship } from '../access/access-tables';
import { contactChannel } from '../access/contact-points';
import { guardianLinkValid, majorityDate, parisDay, parisMidnight } from '../access/guardian-rules';
import { resolveRecipients, type Recipient } from '../notify/recipients';
import { loadPatients } from '../notify/outbox';
import { loadContactHistory } from '../store/credential-contacts';
import type { Statements } from '../store/db';

/**
 * One spelling per contact: e-mails without case, French mobiles by their last 9 digits (+33 6…, 06…, 06 12 … are
 * one number), so that a parent's number written another way is still recognised as his.
 */
export function contactKey(channel: 'email' | 'sms', value: string): string {
  if (channel === 'email') return `email:${value.trim().toLowerCase()}`;
  const digits = value.replace(/\D/g, '');
  return `sms:${digits.slice(-9)}`;
}

const keyOf = (t: ContactPoint): string | undefined => {
  const channel = contactChannel(t);
  return channel && t.value ? contactKey(channel, t.value) : undefined;
};

/**
 * Where a code that sets the record's credentials (a password-reset code; the activation code of the majority
 * hand-over) may be sent — the safe rule of issue 12, "one person, one record":
 * - never to a contact that is, or ever was, on a parent's or legal guardian's RelatedPerson of the record (any
 *   version, any state): the code would hand the holder's account to that person, who would then read what
 *   `INVISIBLE_REPRESENTANTS_LEGAUX` hides from him, or keep the record past the majority; nor to one a guardian put on
 *   the record with `$change-contact` (he asked for it or entered its code) until the holder confirms it himself;
 * - once the holder is an adult, if he had legal representatives while a minor (a link valid on the eve of his 18th
 *   birthday, Europe/Paris), only to a contact he confirmed himself (`$confirm-contact`) since that birthday: every
 *   contact the record had before may have been entered by a parent, on the parent's behalf.
 * Otherwise the record's best-ranked e-mail or mobile, as for sign-in codes. Empty: nowhere safe (the caller sends
 * nothing; the holder gets a code on paper at an Assurance Maladie counter, `Patient/$issue-activation`).
 */
export async function credentialRecipients(db: Statements, patientId: string, patient: Patient | undefined, now: Date): Promise<Recipient[]> {
  if (!patient || !resolveRecipients(patient, { now, loginCode: true }).length) return [];
  const allowed = await credentialContactRule(db, patientId, patient, now);
  return resolveRecipients({ ...patient, telecom: (patient.telecom ?? []).filter(allowed) }, { now, loginCode: true });
}

/** The rule of `credentialRecipients` for one record at `now`: true for a contact a credential code may go to. */
export async function credentialContactRule(db: Statements, patientId: string, patient: Patient, now: Date): Promise<(t: ContactPoint) => boolean> {
  return (await loadCredentialContactPolicy(db, patientId, patient, now)).allows;
}

/** The rule, and whether it applies its second half (an adult who had legal representatives while a minor). */
export interface CredentialContactPolicy {
  allows: (t: ContactPoint) => boolean;
  /** True for a contact that is, or ever was, on a parent's or guardian's RelatedPerson of the record. */
  isGuardians: (t: ContactPoint) => boolean;
  adultWhoHadRepresentatives: boolean;
}

/** Loads, in the caller's transaction, the policy of `credentialRecipients` for one record at `now`. */
export async function loadCredentialContactPolicy(db: Statements, patientId: string, patient: Patient, now: Date): Promise<CredentialContactPolicy> {
  const majorityOn = majorityDate(patient.birthDate);
  const adultSince = majorityOn && parisDay(now) >= majorityOn ? parisMidnight(majorityOn) : undefined;
  const history = await loadContactHistory(db, patientId, adultSince ?? now);
  const guardians = history.relatedPersons.map((text) => JSON.parse(text) as RelatedPerson).filter(isGuardianRelationship);
  const theirs = guardianContactKeys(guardians);
  const eve = adultSince ? new Date(adultSince.getTime() - 1) : undefined;
  const hadRepresentatives = !!eve && guardians.some((g) => guardianLinkValid(g, patient, eve));
  const confirmed = new Set(history.confirmed.map((c) => contactKey(c.system === 'sms' ? 'sms' : 'email', c.value)));
  const guardianChosen = new Set(history.guardianConfirmed.map((c) => contactKey(c.system === 'sms' ? 'sms' : 'email', c.value)));
  const isGuardians = (t: ContactPoint): boolean => {
    const key = keyOf(t);
    return !!key && theirs.has(key);
  };
  const allows = (t: ContactPoint): boolean => {
    const key = keyOf(t);
    if (!key) return false;
    return !theirs.has(key) && !guardianChosen.has(key) && (!hadRepresentatives || confirmed.has(key));
  };
  return { allows, isGuardians, adultWhoHadRepresentatives: hadRepresentatives };
}

/**
 * A guardian's contact in `contactKey` spelling: his e-mail, and every phone number he gives whatever its `use` (a
 * number he answers is his: written as a landline on his link, it is still where a code sent as an SMS would reach him).
 */
export function guardianContactKey(t: ContactPoint): string | undefined {
  if (!t.value?.trim()) return undefined;
  if (t.system === 'phone' || t.system === 'sms') return contactKey('sms', t.value);
  return t.system === 'email' ? contactKey('email', t.value) : undefined;
}

/** Every contact (in `guardianContactKey` spelling) on any version of a parent's or guardian's RelatedPerson of the record. */
function guardianContactKeys(guardians: RelatedPerson[]): Set<string> {
  return new Set(guardians.flatMap((g) => (g.telecom ?? []).map(guardianContactKey)).filter((k): k is string => !!k));
}

/** Where a sign-in code goes, or why it may not go anywhere. */
export type SignInDestination = { to: Recipient } | { refused: 'no-contact' | 'no-own-contact' | 'guardian-contact' };

/**
 * Where a sign-in code (`POST /auth/login`, the SMART sign-in page) goes. A sign-in code is the holder's second factor,
 * and its message tells its receiver when the holder signs in: the rule of `credentialRecipients` for everyone, minors
 * included — never a contact that is or was a parent's or guardian's (a guardian enters the child's record with his own
 * account, never as the child: `guardian-contact` when the record has no other), and for an adult who had legal
 * representatives only one he confirmed since his 18th birthday (`no-own-contact` when none: he confirms his own at an
 * Assurance Maladie counter). Otherwise the record's best-ranked e-mail or mobile.
 */
export async function signInDestination(db: Statements, patientId: string, now: Date): Promise<SignInDestination> {
  const patient = (await loadPatients(db, [patientId])).get(patientId);
  const any = resolveRecipients(patient, { now, loginCode: true });
  if (!patient || !any.length) return { refused: 'no-contact' };
  const policy = await loadCredentialContactPolicy(db, patientId, patient, now);
  const own = resolveRecipients({ ...patient, telecom: (patient.telecom ?? []).filter(policy.allows) }, { now, loginCode: true });
  if (own.length) return { to: own[0] };
  return { refused: policy.adultWhoHadRepresentatives ? 'no-own-contact' : 'guardian-contact' };
}
