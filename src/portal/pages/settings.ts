import type { Patient } from '@medplum/fhirtypes';
import { NOTIFY_PREFERENCE_URL } from '../../notify/recipients';
import { html, type Html } from '../html';
import type { PortalCall } from '../portal-request';
import { noticeKindsTable } from './notice-kinds';

/** The notice channels a patient may choose (the `notification-channel` extension the notifier reads). */
export const CHANNELS: { code: string; label: string }[] = [
  { code: 'email', label: 'Par e-mail' },
  { code: 'sms', label: 'Par SMS' },
  { code: 'all', label: 'Par e-mail et par SMS' },
  { code: 'none', label: 'Ne pas me prévenir (les codes de connexion restent envoyés)' },
];

/** Closure reasons a patient may give himself (the `$close` operation's codes). */
const CLOSE_REASONS: { code: string; label: string }[] = [
  { code: 'patient-request', label: 'Je souhaite fermer mon dossier' },
  { code: 'other', label: 'Autre motif' },
];

/** `/portal/settings`: contacts (changed with a confirmation code), notices, password, closing or reactivating. */
export async function settingsPage(call: PortalCall, pendingContact: boolean): Promise<{ title: string; body: Html }> {
  const me = await call.fhir.read<Patient>('Patient', call.session.patient);
  const preference = me.extension?.find((e) => e.url === NOTIFY_PREFERENCE_URL)?.valueCode ?? '';
  const csrf = html`<input type="hidden" name="csrf" value="${call.session.csrf}">`;
  const telecom = (me.telecom ?? []).filter((t) => t.value && (t.system === 'email' || t.system === 'sms' || t.system === 'phone'));
  const closed = me.active === false;
  const body = html`
<section aria-labelledby="h-contacts"><h2 id="h-contacts">Mes coordonnées</h2>
${telecom.length ? html`<ul>${telecom.map((t) => html`<li>${t.system === 'email' ? 'E-mail' : 'Téléphone mobile'} : ${t.value}</li>`)}</ul>` : html`<p class="muted">Aucune coordonnée enregistrée.</p>`}
<form method="post" action="/portal/settings/contact">${csrf}
<label for="c-system">Coordonnée à ajouter ou changer</label>
<select id="c-system" name="system"><option value="email">E-mail</option><option value="sms">Téléphone mobile</option></select>
<label for="c-value">Nouvelle valeur</label>
<input id="c-value" name="value" required autocomplete="email">
<button type="submit">Recevoir un code de confirmation</button>
</form>
${pendingContact ? html`<form method="post" action="/portal/settings/contact/confirm">${csrf}
<label for="c-code">Code reçu sur la nouvelle coordonnée</label>
<input id="c-code" name="code" required inputmode="numeric" autocomplete="one-time-code">
<button type="submit">Confirmer</button>
</form>` : ''}
</section>
<section aria-labelledby="h-notices"><h2 id="h-notices">Mes notifications</h2>
<p>Vous êtes prévenu d’un nouveau document, du premier accès d’un professionnel et de tout accès en urgence.</p>
<form method="post" action="/portal/settings/notices">${csrf}
<fieldset><legend>Comment souhaitez-vous être prévenu ?</legend>
${CHANNELS.map((c) => html`<div><input type="radio" id="n-${c.code}" name="channel" value="${c.code}"${c.code === preference ? html` checked` : ''}> <label for="n-${c.code}" style="display:inline">${c.label}</label></div>`)}
</fieldset>
<button type="submit">Enregistrer</button>
</form>
${noticeKindsTable(me, call.session.csrf)}
</section>
<section aria-labelledby="h-password"><h2 id="h-password">Mon mot de passe</h2>
<form method="post" action="/portal/settings/password">${csrf}
<label for="p-login">Identifiant de connexion</label>
<input id="p-login" name="identifier" required autocomplete="username">
<label for="p-new">Nouveau mot de passe (au moins 12 caractères, difficile à deviner)</label>
<input id="p-new" name="password" type="password" required minlength="12" autocomplete="new-password">
<button type="submit">Changer mon mot de passe</button>
</form>
</section>
<section aria-labelledby="h-close"><h2 id="h-close">${closed ? 'Réactiver mon dossier' : 'Fermer mon dossier'}</h2>
${
  closed
    ? html`<p>Votre dossier est fermé. Il est conservé dix ans puis supprimé ; vous pouvez le réactiver d’ici là.</p>
<form method="post" action="/portal/settings/reactivate">${csrf}<button type="submit">Réactiver mon dossier</button></form>`
    : html`<p>Un dossier fermé n’est plus consultable par les professionnels ; il est conservé dix ans puis supprimé. Vous pourrez le réactiver pendant ce délai.</p>
<form method="post" action="/portal/settings/close">${csrf}
<label for="close-reason">Motif</label>
<select id="close-reason" name="reason">${CLOSE_REASONS.map((r) => html`<option value="${r.code}">${r.label}</option>`)}</select>
<div><input type="checkbox" id="close-confirm" name="confirm" value="yes" required> <label for="close-confirm" style="display:inline">Je confirme vouloir fermer mon dossier</label></div>
<button type="submit">Fermer mon dossier</button>
</form>`
}
</section>`;
  return { title: 'Paramètres de mon espace', body };
}
