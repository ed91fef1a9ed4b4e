import type { Patient } from '@medplum/fhirtypes';
import { buildPreferencesExtension } from '../../../src/notify/notice-preferences';
import { NOTIFY_PREFERENCE_URL, resolveRecipients } from '../../../src/notify/recipients';

const now = new Date('2026-03-01T00:00:00Z');

function patient(extra: Partial<Patient>): Patient {
  return { resourceType: 'Patient', id: 'p', ...extra };
}

describe('notice recipients', () => {
  it('picks the best-ranked usable contact when the patient states no preference', () => {
    const p = patient({ telecom: [{ system: 'email', value: 'a@example.org', rank: 2 }, { system: 'phone', use: 'mobile', value: '+33600000001', rank: 1 }, { system: 'phone', use: 'home', value: '+33100000000', rank: 0 }] });
    expect(resolveRecipients(p, { now })).toEqual([{ channel: 'sms', address: '+33600000001' }]);
  });

  it('prefers e-mail on a rank tie and ignores contacts whose period ended', () => {
    const p = patient({ telecom: [{ system: 'sms', value: '+33600000001' }, { system: 'email', value: 'old@example.org', period: { end: '2025-01-01' } }, { system: 'email', value: 'new@example.org' }] });
    expect(resolveRecipients(p, { now })).toEqual([{ channel: 'email', address: 'new@example.org' }]);
  });

  it('a contact ending on a date is used through that day in France, not from its UTC midnight', () => {
    const p = patient({ telecom: [{ system: 'email', value: 'until-today@example.org', period: { end: '2026-12-07' } }] });
    // 12:00 UTC on the 7th: the day it names is not over (read as an instant, it had ended at its first minute).
    expect(resolveRecipients(p, { now: new Date('2026-12-07T12:00:00Z') })).toEqual([{ channel: 'email', address: 'until-today@example.org' }]);
    expect(resolveRecipients(p, { now: new Date('2026-12-07T22:30:00Z') })).toEqual([{ channel: 'email', address: 'until-today@example.org' }]);
    expect(resolveRecipients(p, { now: new Date('2026-12-07T23:30:00Z') })).toEqual([]); // 00:30 in Paris on the 8th
  });

  it('sends on every channel when asked, and nowhere when notices are turned off except login codes', () => {
    const telecom = [{ system: 'email' as const, value: 'a@example.org' }, { system: 'sms' as const, value: '+33600000001' }];
    const all = patient({ telecom, extension: [{ url: NOTIFY_PREFERENCE_URL, valueCode: 'all' }] });
    expect(resolveRecipients(all, { now }).map((r) => r.channel)).toEqual(['email', 'sms']);
    const none = patient({ telecom, extension: [{ url: NOTIFY_PREFERENCE_URL, valueCode: 'none' }] });
    expect(resolveRecipients(none, { now })).toEqual([]);
    expect(resolveRecipients(none, { now, loginCode: true })).toEqual([{ channel: 'email', address: 'a@example.org' }]);
  });

  it('has no recipient for a patient without e-mail or mobile', () => {
    expect(resolveRecipients(patient({ telecom: [{ system: 'phone', use: 'home', value: '+33100000000' }] }), { now })).toEqual([]);
    expect(resolveRecipients(undefined, { now })).toEqual([]);
  });

  describe('per kind of notice', () => {
    const telecom = [{ system: 'email' as const, value: 'a@example.org' }, { system: 'sms' as const, value: '+33600000001' }];
    const channels = (p: Patient, kind: Parameters<typeof resolveRecipients>[1]['kind']) => resolveRecipients(p, { now, kind }).map((r) => r.channel);

    it('sends each kind by the channel chosen for it, other kinds by the record-wide channel', () => {
      const p = patient({ telecom, extension: [{ url: NOTIFY_PREFERENCE_URL, valueCode: 'email' }, buildPreferencesExtension({ 'document-added': 'sms', 'first-access': 'none', 'record-life': 'all' })] });
      expect(channels(p, 'document-added')).toEqual(['sms']);
      expect(channels(p, 'first-access')).toEqual([]);
      expect(channels(p, 'record-closed')).toEqual(['email', 'sms']);
      expect(channels(p, 'purge-approaching')).toEqual(['email', 'sms']);
      expect(channels(p, 'break-glass')).toEqual(['email']);
      expect(channels(p, 'identity-corrected')).toEqual(['email']);
    });

    it('never silences an emergency access: "none" for it, or for the whole record, still reaches the best-ranked contact', () => {
      const own = patient({ telecom, extension: [buildPreferencesExtension({ 'emergency-access': 'none' })] });
      expect(channels(own, 'break-glass')).toEqual(['email']);
      expect(channels(own, 'samu-access')).toEqual(['email']);
      const silenced = patient({ telecom, extension: [{ url: NOTIFY_PREFERENCE_URL, valueCode: 'none' }] });
      expect(channels(silenced, 'break-glass')).toEqual(['email']);
      expect(channels(silenced, 'document-added')).toEqual([]);
      const bySms = patient({ telecom, extension: [{ url: NOTIFY_PREFERENCE_URL, valueCode: 'none' }, buildPreferencesExtension({ 'emergency-access': 'sms' })] });
      expect(channels(bySms, 'samu-access')).toEqual(['sms']);
    });

    it('leaves sign-in codes to the record-wide channel, whatever the per-kind choices', () => {
      const p = patient({ telecom, extension: [{ url: NOTIFY_PREFERENCE_URL, valueCode: 'sms' }, buildPreferencesExtension({ 'document-added': 'none', 'first-access': 'email', 'emergency-access': 'email', 'record-life': 'none' })] });
      expect(resolveRecipients(p, { now, loginCode: true, kind: 'login-code' })).toEqual([{ channel: 'sms', address: '+33600000001' }]);
    });

    it('ignores an unknown choice and falls back to the record-wide channel', () => {
      const p = patient({ telecom, extension: [{ url: NOTIFY_PREFERENCE_URL, valueCode: 'sms' }, { url: buildPreferencesExtension({}).url, extension: [{ url: 'document-added', valueCode: 'pigeon' }] }] });
      expect(channels(p, 'document-added')).toEqual(['sms']);
    });
  });
});
