import { esc, hidden, page } from './html';
import { STEP_PATH } from './sign-in-pages';
import { parseScope } from '../access/scopes';
import { parseResourceScope } from './smart-scopes';

const TYPES: Record<string, string> = {
  '*': 'toutes les informations de votre dossier',
  AllergyIntolerance: 'vos allergies',
  Condition: 'vos pathologies et problèmes de santé',
  DocumentReference: 'vos documents (comptes rendus, résultats …)',
  Binary: 'le contenu de vos documents',
  Immunization: 'vos vaccinations',
  MedicationRequest: 'vos prescriptions de médicaments',
  MedicationStatement: 'vos traitements',
  Observation: 'vos résultats d’examens et mesures (dont le groupe sanguin)',
  Patient: 'votre identité et vos coordonnées',
  Consent: 'vos autorisations d’accès',
  AuditEvent: 'l’historique des accès à votre dossier',
  RelatedPerson: 'vos personnes à prévenir et représentants',
  Procedure: 'vos actes médicaux',
  Encounter: 'vos consultations et hospitalisations',
  DiagnosticReport: 'vos comptes rendus d’examens',
};

const VERBS: Record<string, string> = { c: 'ajouter', r: 'lire', u: 'modifier', d: 'supprimer', s: 'rechercher' };

/** One sentence in French for a scope the app asks (unknown types are named as FHIR names them). */
export function describeScope(scope: string): string | undefined {
  if (scope === 'offline_access') return 'Rester connectée à votre dossier après la fermeture de l’application (jusqu’à ce que vous la déconnectiez)';
  if (scope === 'online_access') return 'Rester connectée tant que vous utilisez l’application';
  if (scope === 'openid' || scope === 'fhirUser' || scope === 'profile') return undefined;
  if (scope === 'launch/patient') return undefined;
  const p = parseResourceScope(scope);
  if (!p) return undefined;
  const verbs = [...p.permissions].map((l) => VERBS[l]);
  const list = verbs.length > 1 ? `${verbs.slice(0, -1).join(', ')} et ${verbs[verbs.length - 1]}` : verbs[0];
  const what = TYPES[p.type] ?? `les ressources ${p.type}`;
  // A constrained scope says which part of the type: the patient must not read "all your results" for a part of them.
  const constraint = p.query === undefined ? undefined : parseScope(scope)?.constraint;
  if (p.query !== undefined && !constraint) return undefined;
  const part = constraint ? ` (uniquement : ${constraint.map((c) => `${c.param} = ${c.code}`).join(' et ')})` : '';
  return `${list[0].toUpperCase()}${list.slice(1)} ${what}${part}`;
}

/**
 * The consent screen: what the app asks, one checkbox per permission the patient may refuse (the identity scopes
 * go with the sign-in itself), then Autoriser / Refuser. Unchecking a line removes it from the grant.
 */
export function consentPage(o: { tx: string; csrf: string; clientId: string; record: string; scopes: string[] }): string {
  const items = o.scopes
    .map((s, i) => ({ s, i, text: describeScope(s) }))
    .filter((x) => x.text)
    .map((x) => `<li><input type="checkbox" id="scope-${x.i}" name="scope" value="${esc(x.s)}" checked> <label for="scope-${x.i}" style="display:inline">${esc(x.text as string)}</label></li>`)
    .join('\n');
  return page('Autoriser l’application', `<p>L’application <strong>${esc(o.clientId)}</strong> demande à accéder à : <strong>${esc(o.record)}</strong>.</p>
<form method="post" action="${STEP_PATH.consent}">${hidden(o.tx, o.csrf)}
<fieldset><legend>Elle pourra :</legend><ul class="scopes">${items || '<li>Connaître votre identité</li>'}</ul></fieldset>
<p>Ce que vous voyez dans votre dossier, l’application le voit aussi. Vous pourrez retirer cette autorisation à tout moment.</p>
<button type="submit" name="decision" value="allow">Autoriser</button>
<button type="submit" name="decision" value="deny">Refuser</button></form>`);
}
