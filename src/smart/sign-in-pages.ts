import { errorBlock, esc, hidden, page } from './html';
import type { RecordChoice } from './record-choices';

/** Form actions of the authorization steps (each a POST with tx and csrf). */
export const STEP_PATH = { login: '/auth/authorize/login', code: '/auth/authorize/code', record: '/auth/authorize/record', consent: '/auth/authorize/consent' } as const;

/** Step 1: identifier and password, with the autocomplete values password managers expect. */
export function loginPage(o: { tx: string; csrf: string; clientId: string; error?: string }): string {
  return page('Connexion à votre DMP', `<p>L’application <strong>${esc(o.clientId)}</strong> demande l’accès à votre dossier médical partagé. Connectez-vous pour continuer.</p>
${errorBlock(o.error)}
<form method="post" action="${STEP_PATH.login}">${hidden(o.tx, o.csrf)}
<label for="identifier">Identifiant</label><input type="text" id="identifier" name="identifier" autocomplete="username" required autocapitalize="none" spellcheck="false">
<label for="password">Mot de passe</label><input type="password" id="password" name="password" autocomplete="current-password" required>
<button type="submit">Continuer</button></form>`);
}

/** Step 2: the one-time code sent by e-mail or SMS (`one-time-code` lets phones fill it from the message). */
export function codePage(o: { tx: string; csrf: string; error?: string }): string {
  return page('Code de connexion', `<p>Un code à 6 chiffres vient de vous être envoyé par e-mail ou par SMS. Il est valable quelques minutes.</p>
${errorBlock(o.error)}
<form method="post" action="${STEP_PATH.code}">${hidden(o.tx, o.csrf)}
<label for="code">Code reçu</label><input type="text" id="code" name="code" autocomplete="one-time-code" inputmode="numeric" pattern="[0-9]{6}" maxlength="6" required>
<button type="submit">Valider</button></form>`);
}

/** Step 2b, for a guardian: which record (his own or a child's) the application will work on. */
export function recordPage(o: { tx: string; csrf: string; choices: RecordChoice[]; error?: string }): string {
  const options = o.choices
    .map((c, i) => `<li><input type="radio" id="record-${i}" name="record" value="${esc(c.value)}"${i === 0 ? ' checked' : ''}> <label for="record-${i}" style="display:inline">${esc(c.label)}</label></li>`)
    .join('\n');
  return page('Choisir le dossier', `<p>Vous pouvez ouvrir votre dossier ou celui d’un enfant dont vous êtes le représentant légal. Quel dossier l’application doit-elle utiliser ?</p>
${errorBlock(o.error)}
<form method="post" action="${STEP_PATH.record}">${hidden(o.tx, o.csrf)}<fieldset><legend>Dossier</legend><ul class="scopes">${options}</ul></fieldset>
<button type="submit">Continuer</button></form>`);
}

/** A page telling that the request cannot go on (no redirect: the request itself is not trusted). */
export function errorPage(message: string): string {
  return page('Connexion impossible', `<p>${esc(message)}</p><p>Retournez dans l’application pour recommencer.</p>`);
}
