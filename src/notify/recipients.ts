import type { ContactPoint, Patient } from '@medplum/fhirtypes';
import type { NoticeKind } from './messages';
import { channelPreference, effectivePreference } from './notice-preferences';
import { parisPeriodBoundAt } from '../access/paris-calendar';

export { NOTIFY_PREFERENCE_URL, NOTIFY_PREFERENCES_URL } from './notice-preferences';

export type Channel = 'email' | 'sms';

export interface Recipient {
  channel: Channel;
  address: string;
}

function channelOf(telecom: ContactPoint): Channel | undefined {
  if (telecom.system === 'email') return 'email';
  if (telecom.system === 'sms' || (telecom.system === 'phone' && telecom.use === 'mobile')) return 'sms';
  return undefined;
}

/** A date-only end lasts through that day in Europe/Paris (read as UTC midnight, it stopped a day early). */
function isCurrent(telecom: ContactPoint, now: Date): boolean {
  const end = telecom.period?.end;
  return !end || parisPeriodBoundAt(end, 'end') >= now.getTime();
}

/**
 * Where a patient's notices go, from `Patient.telecom` (email; sms, or a mobile phone) and the preference
 * extension. Without a preference: the single best-ranked usable contact (lowest `rank`, e-mail first on a
 * tie). With a `kind`, the choice stated for its group in `notification-preferences` comes first (see
 * `effectivePreference`: an emergency access is never silenced). Login codes read only the record-wide channel and
 * ignore its "none": signing in needs them.
 */
export function resolveRecipients(patient: Patient | undefined, options: { now: Date; loginCode?: boolean; kind?: NoticeKind }): Recipient[] {
  const usable = (patient?.telecom ?? [])
    .filter((t) => t.value && isCurrent(t, options.now) && channelOf(t))
    .map((t) => ({ channel: channelOf(t) as Channel, address: (t.value as string).trim(), rank: t.rank ?? Number.MAX_SAFE_INTEGER }))
    .sort((a, b) => a.rank - b.rank || (a.channel === b.channel ? 0 : a.channel === 'email' ? -1 : 1));
  const preference = options.loginCode ? channelPreference(patient) : effectivePreference(patient, options.kind);
  const first = (channel?: Channel): Recipient[] => {
    const hit = usable.find((u) => !channel || u.channel === channel);
    return hit ? [{ channel: hit.channel, address: hit.address }] : [];
  };
  if (preference === 'none' && !options.loginCode) return [];
  if (preference === 'email' || preference === 'sms') return first(preference).length ? first(preference) : first();
  if (preference === 'all' && !options.loginCode) return [...first('email'), ...first('sms')];
  return first();
}
