import type { Extension, Patient } from '@medplum/fhirtypes';
import type { NoticeKind } from './messages';

/** Patient extension stating where notices go: email, sms, all, or none. Absent = the best-ranked contact. */
export const NOTIFY_PREFERENCE_URL = 'https://dmp-fhir-adapter.org/fhir/StructureDefinition/notification-channel';

/**
 * Complex Patient extension with one sub-extension per notice group (`url` = the group, `valueCode` = email | sms |
 * all | none). A group without a sub-extension follows `notification-channel`. Emergency accesses cannot be turned
 * off: their "none" is read as "the best-ranked contact" (a patient must learn of a SAMU or break-glass access).
 */
export const NOTIFY_PREFERENCES_URL = 'https://dmp-fhir-adapter.org/fhir/StructureDefinition/notification-preferences';

/** What a patient may choose for a group of notices. */
export type NoticeChoice = 'email' | 'sms' | 'all' | 'none';
export const NOTICE_CHOICES: readonly NoticeChoice[] = ['email', 'sms', 'all', 'none'];

/** The groups of notices a patient chooses for, one sub-extension each. */
export type NoticeGroup = 'document-added' | 'first-access' | 'emergency-access' | 'record-life';
export const NOTICE_GROUPS: readonly NoticeGroup[] = ['document-added', 'first-access', 'emergency-access', 'record-life'];

/** The group a notice kind belongs to; undefined for kinds that follow `notification-channel` alone. */
export function noticeGroupOf(kind: NoticeKind | undefined): NoticeGroup | undefined {
  if (kind === 'document-added' || kind === 'first-access') return kind;
  if (kind === 'samu-access' || kind === 'break-glass') return 'emergency-access';
  if (kind === 'record-closed' || kind === 'record-reactivated' || kind === 'purge-approaching') return 'record-life';
  return undefined;
}

function isChoice(code: string | undefined): code is NoticeChoice {
  return NOTICE_CHOICES.includes(code as NoticeChoice);
}

/** The record-wide channel (`notification-channel`), if stated and known. */
export function channelPreference(patient: Patient | undefined): NoticeChoice | undefined {
  const code = patient?.extension?.find((e) => e.url === NOTIFY_PREFERENCE_URL)?.valueCode;
  return isChoice(code) ? code : undefined;
}

/** The choice stated for one group in `notification-preferences`, if any. */
export function groupPreference(patient: Patient | undefined, group: NoticeGroup): NoticeChoice | undefined {
  const outer = patient?.extension?.find((e) => e.url === NOTIFY_PREFERENCES_URL);
  const code = outer?.extension?.find((e) => e.url === group)?.valueCode;
  return isChoice(code) ? code : undefined;
}

/**
 * The choice that decides a notice of `kind`: the group's own, else the record-wide one, else undefined (the
 * best-ranked contact). An emergency access is never "none": it falls back to undefined.
 */
export function effectivePreference(patient: Patient | undefined, kind: NoticeKind | undefined): NoticeChoice | undefined {
  const group = noticeGroupOf(kind);
  const choice = (group && groupPreference(patient, group)) || channelPreference(patient);
  if (choice === 'none' && group === 'emergency-access') return undefined;
  return choice;
}

/** The `notification-preferences` extension for these choices (groups left out follow the record-wide channel). */
export function buildPreferencesExtension(choices: Partial<Record<NoticeGroup, NoticeChoice>>): Extension {
  return {
    url: NOTIFY_PREFERENCES_URL,
    extension: NOTICE_GROUPS.filter((g) => choices[g]).map((g) => ({ url: g, valueCode: choices[g] })),
  };
}
