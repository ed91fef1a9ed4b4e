import type { Patient } from '@medplum/fhirtypes';
import { channelPreference, groupPreference, NOTICE_GROUPS, type NoticeChoice, type NoticeGroup } from '../../notify/notice-preferences';
import { html, type Html } from '../html';

/** The groups of notices as the patient reads them. */
export const GROUP_LABELS: Record<NoticeGroup, string> = {
  'document-added': 'Nouveau document',
  'first-access': 'Premier accès d’un professionnel',
  'emergency-access': 'Accès en urgence (SAMU, bris de glace)',
  'record-life': 'Vie du dossier (fermeture, réactivation, suppression prochaine)',
};

/** The columns of the table: the channel choices, in words. */
export const CHOICE_LABELS: { code: NoticeChoice; label: string }[] = [
  { code: 'email', label: 'E-mail' },
  { code: 'sms', label: 'SMS' },
  { code: 'all', label: 'E-mail et SMS' },
  { code: 'none', label: 'Aucune notification' },
];

/** True when the patient may choose `choice` for `group`: an emergency access is always told. */
export function choiceAllowed(group: NoticeGroup, choice: NoticeChoice): boolean {
  return !(group === 'emergency-access' && choice === 'none');
}

/**
 * The kind × channel table of the settings page: one radio group per kind of notice, each radio labelled with its
 * kind and channel for screen readers; the current choice (the kind's own, else the record-wide one) is checked.
 */
export function noticeKindsTable(me: Patient, csrf: string): Html {
  const general = channelPreference(me);
  const cell = (group: NoticeGroup, code: NoticeChoice) => {
    if (!choiceAllowed(group, code)) return html`<td>Toujours prévenu</td>`;
    const current = (groupPreference(me, group) ?? general) === code;
    return html`<td><input type="radio" id="k-${group}-${code}" name="kind-${group}" value="${code}" aria-label="${GROUP_LABELS[group]} : ${CHOICE_LABELS.find((c) => c.code === code)?.label ?? code}"${current ? html` checked` : ''}></td>`;
  };
  return html`<form method="post" action="/portal/settings/notices/kinds"><input type="hidden" name="csrf" value="${csrf}">
<div class="scroll" tabindex="0" role="region" aria-label="Tableau des notifications par type d’événement, défilable"><table>
<caption>Notifications par type d’événement (les codes de connexion ne changent pas ; un accès en urgence vous est toujours signalé)</caption>
<thead><tr><th scope="col">Événement</th>${CHOICE_LABELS.map((c) => html`<th scope="col">${c.label}</th>`)}</tr></thead>
<tbody>${NOTICE_GROUPS.map((g) => html`<tr><th scope="row">${GROUP_LABELS[g]}</th>${CHOICE_LABELS.map((c) => cell(g, c.code))}</tr>`)}</tbody>
</table></div>
<button type="submit">Enregistrer par type d’événement</button>
</form>`;
}
