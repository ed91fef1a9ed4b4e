import type { AuditEvent, AuditEventAgent, DocumentReference } from '@medplum/fhirtypes';
import { LOGIN_BY_SESSION } from '../../audit/audit-codes';
import { parisTime } from '../../notify/paris-time';
import { DirectoryNames, professionalText, referenceKey } from '../directory-names';
import { html, type Html } from '../html';
import type { PortalCall } from '../portal-request';
import { documentTitle } from './documents';

const ACTOR_KIND = 'urn:dmp-fhir-adapter:actor-kind';

/** One line of the history, as a sentence and as columns (for the export). */
export interface HistoryLine {
  at: string;
  when: string;
  who: string;
  whoKey?: string;
  what: string;
  documents: string[];
  how: string;
  refused: boolean;
  /** The signed-in patient's own action (shown only on request: the history is first about others). */
  self: boolean;
  sentence: string;
}

const TYPE_WORDS: Record<string, string> = {
  Observation: 'des résultats',
  Condition: 'des problèmes de santé',
  AllergyIntolerance: 'des allergies',
  MedicationStatement: 'des traitements',
  MedicationRequest: 'des prescriptions',
  Immunization: 'des vaccinations',
  Consent: 'vos choix d’accès',
  Patient: 'votre dossier',
  Binary: 'un document',
  DocumentReference: 'des documents',
};

function requestor(e: AuditEvent): AuditEventAgent | undefined {
  return e.agent?.find((a) => a.requestor);
}

/** The verb of the sentence, conjugated for "Vous" (the patient himself) or a third person. */
function verb(e: AuditEvent, refused: boolean, self: boolean): string {
  const type = e.type?.code;
  const have = self ? 'avez' : 'a';
  // A sign-in by the authorization server's session (no password typed) says so: the person can tell it from his own.
  const how = e.outcomeDesc === LOGIN_BY_SESSION ? ' sans ressaisir le mot de passe (connexion déjà ouverte dans ce navigateur)' : '';
  if (type === '110114') return refused ? `${have} tenté de se connecter à votre espace (mot de passe ou code refusé)` : `${self ? 'vous êtes connecté à votre espace' : 's’est connecté à votre espace'}${how}`;
  if (type === '110113') return refused ? `${have} tenté de modifier les paramètres de votre compte` : `${have} modifié les paramètres de votre compte`;
  const done = { R: 'consulté', E: 'consulté', C: 'ajouté', U: 'modifié', D: 'supprimé' }[e.action ?? 'E'] ?? 'consulté';
  const attempt = { consulté: 'consulter', ajouté: 'ajouter', modifié: 'modifier', supprimé: 'supprimer' }[done];
  return refused ? `${have} tenté de ${attempt} (accès refusé)` : `${have} ${done}`;
}

function how(e: AuditEvent): string {
  const purpose = e.purposeOfEvent?.[0];
  const code = purpose?.coding?.[0]?.code;
  if (code === 'BTG') return `en urgence (« bris de glace »), motif indiqué : ${purpose?.text ?? 'aucun'}`;
  if (code === 'ETREAT') return 'en urgence (régulation médicale du SAMU)';
  return 'accès normal';
}

/** The patient's trail, newest first, bounded to `max` events (pages followed until then). */
async function trail(call: PortalCall, max: number): Promise<AuditEvent[]> {
  const events: AuditEvent[] = [];
  let page = await call.fhir.search<AuditEvent>('AuditEvent', { patient: call.session.patient, _sort: '-date', _count: '100' });
  events.push(...page.resources);
  let next = page.bundle.link?.find((l) => l.relation === 'next')?.url;
  while (next && events.length < max) {
    const query = Object.fromEntries(new URL(next).searchParams.entries());
    page = await call.fhir.search<AuditEvent>('AuditEvent', query);
    events.push(...page.resources);
    next = page.bundle.link?.find((l) => l.relation === 'next')?.url;
  }
  return events.slice(0, max);
}

/** The history as sentences a person understands: who (by name), what (the document's title), when, how. */
export async function historyLines(call: PortalCall, max = 300): Promise<HistoryLine[]> {
  const events = await trail(call, max);
  const names = new DirectoryNames(call.fhir, 40);
  const titles = new Map<string, Promise<string>>();
  const title = (id: string) => {
    let t = titles.get(id);
    if (!t) {
      t = titles.size < 60 ? call.fhir.read<DocumentReference>('DocumentReference', id).then(documentTitle, () => 'un document') : Promise.resolve('un document');
      titles.set(id, t);
    }
    return t;
  };
  return Promise.all(
    events.map(async (e) => {
      const agent = requestor(e);
      const kind = agent?.role?.find((r) => r.coding?.some((c) => c.system === ACTOR_KIND))?.coding?.[0]?.code;
      const self = kind === 'patient' && agent?.who?.reference === `Patient/${call.session.patient}`;
      const named = self ? undefined : await names.name(agent?.who);
      // A refused sign-in names nobody (nothing proved who tried): "Quelqu'un", not a made-up user.
      const who = self ? 'Vous' : named ? professionalText(named) : (agent?.name ?? agent?.who?.display ?? 'Quelqu’un');
      const refused = e.outcome !== undefined && e.outcome !== '0';
      const docIds = (e.entity ?? []).map((x) => /^DocumentReference\/([^/]+)/.exec(x.what?.reference ?? '')?.[1]).filter((x): x is string => !!x);
      const documents = await Promise.all([...new Set(docIds)].map(title));
      const types = [...new Set((e.entity ?? []).map((x) => x.what?.reference?.split('/')[0] ?? x.description).filter((t): t is string => !!t && t !== 'Patient' && t !== 'DocumentReference'))];
      const what = documents.length ? documents.map((d) => `« ${d} »`).join(', ') : types.map((t) => TYPE_WORDS[t] ?? 'des informations de votre dossier').join(', ') || 'votre dossier';
      const when = e.recorded ? parisTime(new Date(e.recorded)) : '';
      const isAccount = e.type?.code === '110114' || e.type?.code === '110113';
      const mode = how(e);
      // "Vous" names the filter entry; inside the sentence it is lower-case ("Le 6 décembre, vous avez …").
      const subject = self ? 'vous' : who;
      const sentence = isAccount ? `Le ${when}, ${subject} ${verb(e, refused, self)}.` : `Le ${when}, ${subject} ${verb(e, refused, self)} ${what} — ${mode}.`;
      return { at: e.recorded ?? '', when, who, whoKey: referenceKey(agent?.who), what, documents, how: mode, refused, self, sentence };
    }),
  );
}

export interface HistoryFilter {
  who?: string;
  document?: string;
  /** Include the patient's own actions. */
  mine?: boolean;
}

export function filterLines(lines: HistoryLine[], f: HistoryFilter): HistoryLine[] {
  return lines.filter((l) => (f.mine || !l.self) && (!f.who || l.who === f.who) && (!f.document || l.documents.includes(f.document)));
}

/** `/portal/history`: the trail in sentences, filterable by professional and by document, exportable (CSV). */
export async function historyPage(call: PortalCall, filter: HistoryFilter): Promise<{ title: string; body: Html }> {
  const lines = await historyLines(call);
  const shown = filterLines(lines, filter);
  const whos = [...new Set(lines.map((l) => l.who))].sort();
  const docs = [...new Set(lines.flatMap((l) => l.documents))].sort();
  const exportQuery = new URLSearchParams(Object.entries(filter).filter(([, v]) => v).map(([k, v]): [string, string] => [k, v === true ? '1' : String(v)])).toString();
  const body = html`
<form method="get" action="/portal/history">
<label for="f-who">Professionnel ou personne</label>
<select id="f-who" name="who"><option value="">Tous</option>${whos.map((w) => html`<option${w === filter.who ? html` selected` : ''}>${w}</option>`)}</select>
<label for="f-doc">Document</label>
<select id="f-doc" name="document"><option value="">Tous</option>${docs.map((d) => html`<option${d === filter.document ? html` selected` : ''}>${d}</option>`)}</select>
<div><input type="checkbox" id="f-mine" name="mine" value="1"${filter.mine ? html` checked` : ''}> <label for="f-mine" style="display:inline">Inclure mes propres consultations et modifications</label></div>
<button type="submit">Filtrer</button>
</form>
<p><a href="/portal/history.csv${exportQuery ? `?${exportQuery}` : ''}">Exporter cet historique (fichier CSV)</a></p>
${shown.length ? html`<ol class="history">${shown.map((l) => html`<li${l.refused ? html` class="refused"` : ''}>${l.sentence}</li>`)}</ol>` : html`<p>Aucun accès à afficher.</p>`}`;
  return { title: 'Historique des accès à mon dossier', body };
}

function csvCell(value: string): string {
  // A leading =, +, - or @ would be a formula in a spreadsheet: prefixed with a quote (CSV injection). So is one behind
  // blanks, or a leading tab or carriage return (OWASP), which some spreadsheet programs skip before reading a formula.
  const safe = /^[\s\u00A0]*[=+\-@\uFF0B\uFF1D\uFF0D\uFF20]|^[\t\r\n]/.test(value) ? `'${value}` : value;
  return `"${safe.replace(/"/g, '""')}"`;
}

/** The export: one line per access, the same columns a person reads, in UTF-8 with BOM for spreadsheet programs. */
export function historyCsv(lines: HistoryLine[]): string {
  const header = ['Date (heure de Paris)', 'Qui', 'Quoi', 'Comment', 'Résultat'];
  const rows = lines.map((l) => [l.when, l.who, l.what, l.how, l.refused ? 'refusé' : 'autorisé']);
  return `\uFEFF${[header, ...rows].map((r) => r.map(csvCell).join(';')).join('\r\n')}\r\n`;
}
