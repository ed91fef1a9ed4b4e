import { html, type Html } from '../html';
import type { PortalCall } from '../portal-request';

/** Blood groups a patient may declare (ABO and Rhesus). */
export const BLOOD_GROUPS = ['A+', 'A-', 'B+', 'B-', 'AB+', 'AB-', 'O+', 'O-'];

/** Largest file a patient may upload from the portal (a scanned letter or a photo). */
export const MAX_UPLOAD_BYTES = 10 * 1024 * 1024;

/** `/portal/add`: what a patient adds himself. Everything added is marked as declared by the patient. */
export function addPage(call: PortalCall): { title: string; body: Html } {
  const csrf = html`<input type="hidden" name="csrf" value="${call.session.csrf}">`;
  const today = new Date().toISOString().slice(0, 10);
  const body = html`
<p>Les informations que vous ajoutez sont indiquées comme déclarées par vous aux professionnels qui consultent votre dossier.</p>
<section aria-labelledby="h-allergy"><h2 id="h-allergy">Une allergie</h2>
<form method="post" action="/portal/add/allergy">${csrf}
<label for="a-text">Allergie (substance ou médicament)</label><input id="a-text" name="text" required maxlength="200">
<label for="a-reaction">Réaction observée (facultatif)</label><input id="a-reaction" name="reaction" maxlength="200">
<button type="submit">Ajouter l’allergie</button></form></section>
<section aria-labelledby="h-blood"><h2 id="h-blood">Mon groupe sanguin</h2>
<form method="post" action="/portal/add/blood-group">${csrf}
<label for="b-group">Groupe sanguin</label><select id="b-group" name="group">${BLOOD_GROUPS.map((g) => html`<option>${g}</option>`)}</select>
<button type="submit">Enregistrer le groupe sanguin</button></form></section>
<section aria-labelledby="h-contact"><h2 id="h-contact">Une personne à prévenir en cas d’urgence</h2>
<form method="post" action="/portal/add/emergency-contact">${csrf}
<label for="e-given">Prénom</label><input id="e-given" name="given" required maxlength="100" autocomplete="off">
<label for="e-family">Nom</label><input id="e-family" name="family" required maxlength="100" autocomplete="off">
<label for="e-phone">Téléphone</label><input id="e-phone" name="phone" required maxlength="30" inputmode="tel" autocomplete="off">
<label for="e-relation">Lien avec vous (facultatif)</label><input id="e-relation" name="relation" maxlength="60">
<button type="submit">Ajouter la personne à prévenir</button></form></section>
<section aria-labelledby="h-vaccine"><h2 id="h-vaccine">Une vaccination</h2>
<form method="post" action="/portal/add/vaccination">${csrf}
<label for="v-name">Vaccin</label><input id="v-name" name="vaccine" required maxlength="200">
<label for="v-date">Date</label><input id="v-date" name="date" type="date" required max="${today}">
<button type="submit">Ajouter la vaccination</button></form></section>
<section aria-labelledby="h-directives"><h2 id="h-directives">Mes directives anticipées</h2>
<form method="post" action="/portal/add/directives">${csrf}
<label for="d-text">Vos volontés sur les soins en fin de vie</label><textarea id="d-text" name="text" rows="6" cols="60" required maxlength="20000"></textarea>
<button type="submit">Enregistrer mes directives anticipées</button></form></section>
<section aria-labelledby="h-upload"><h2 id="h-upload">Un document (PDF ou photo)</h2>
<form method="post" action="/portal/add/document" enctype="multipart/form-data">${csrf}
<label for="u-title">Titre du document</label><input id="u-title" name="title" required maxlength="200">
<label for="u-file">Fichier PDF, JPEG ou PNG (10 Mo au plus)</label><input id="u-file" name="file" type="file" required accept="application/pdf,image/jpeg,image/png">
<button type="submit">Ajouter le document</button></form></section>`;
  return { title: 'Ajouter une information à mon dossier', body };
}
