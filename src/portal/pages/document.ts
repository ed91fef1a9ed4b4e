import type { DocumentReference, Observation, ObservationReferenceRange } from '@medplum/fhirtypes';
import { binaryIdOfUrl } from '../../kernel/binary-url';
import { SOURCE_DOCUMENT_URL } from '../../store/derived-columns';
import { readCdaNarrative, type NarrativeSection } from '../cda-narrative';
import { conceptText, frenchDate, quantityText, referenceText } from '../display';
import { DirectoryNames, professionalText } from '../directory-names';
import { html, type Html } from '../html';
import type { PortalCall } from '../portal-request';
import { documentTitle, maskedAtSubmission, masksByDocument } from './documents';

const CDA_TYPES = /^(text|application)\/(hl7-cda\+)?xml\b/;
/** Interpretation codes that flag a result outside its range (v3 ObservationInterpretation). */
const FLAGS: Record<string, string> = { H: 'élevé', HH: 'très élevé', HU: 'très élevé', L: 'bas', LL: 'très bas', LU: 'très bas', A: 'anormal', AA: 'très anormal', POS: 'positif', DET: 'détecté' };

/** The Binary id a document's first attachment points at (`Binary/<id>`, relative or absolute). */
export function binaryIdOf(d: DocumentReference): string | undefined {
  return binaryIdOfUrl(d.content?.[0]?.attachment?.url);
}

function rangeText(ranges: ObservationReferenceRange[] | undefined): string {
  const r = ranges?.[0];
  if (!r) return '';
  if (r.text) return r.text;
  const low = quantityText(r.low);
  const high = quantityText(r.high);
  if (low && high) return `${low} – ${high}`;
  if (low) return `≥ ${low}`;
  if (high) return `≤ ${high}`;
  return '';
}

function valueText(o: Observation): string {
  if (o.valueQuantity) return quantityText(o.valueQuantity);
  if (o.valueCodeableConcept) return conceptText(o.valueCodeableConcept);
  if (o.valueString !== undefined) return o.valueString;
  if (o.valueBoolean !== undefined) return o.valueBoolean ? 'oui' : 'non';
  if (o.valueInteger !== undefined) return String(o.valueInteger);
  return o.dataAbsentReason ? `non disponible (${conceptText(o.dataAbsentReason)})` : '';
}

function flagOf(o: Observation): string | undefined {
  const code = o.interpretation?.[0]?.coding?.[0]?.code;
  return code ? FLAGS[code] : undefined;
}

/** The results extracted from this document, in the order of the patient's record (bounded to a few pages). */
async function resultsOf(call: PortalCall, docId: string): Promise<Observation[]> {
  const found = await call.fhir.search<Observation>('Observation', { patient: call.session.patient, _count: '200' });
  const ref = `DocumentReference/${docId}`;
  // A panel (hasMember, no value of its own) is not a result line: its members are.
  return found.resources.filter((o) => (o.extension ?? []).some((e) => e.url === SOURCE_DOCUMENT_URL && e.valueReference?.reference === ref) && !(o.hasMember?.length && !valueText(o)));
}

function sectionHtml(s: NarrativeSection, level: number): Html {
  const heading = level <= 2 ? html`<h2>${s.title}</h2>` : level === 3 ? html`<h3>${s.title}</h3>` : html`<h4>${s.title}</h4>`;
  return html`<section>${heading}<div class="narrative" tabindex="0" role="region" aria-label="${s.title}">${s.html}</div>${s.sections.map((c) => sectionHtml(c, level + 1))}</section>`;
}

/** `/portal/documents/{id}`: the document as a person reads it, its results as a table, mask/unmask, download. */
export async function documentPage(call: PortalCall, id: string): Promise<{ title: string; body: Html }> {
  const doc = await call.fhir.read<DocumentReference>('DocumentReference', id);
  const [masks, results] = await Promise.all([masksByDocument(call), resultsOf(call, id)]);
  const names = new DirectoryNames(call.fhir);
  const authors = await Promise.all((doc.author ?? []).map(async (a) => professionalText((await names.name(a, doc)) ?? { name: referenceText(a) })));
  const binaryId = binaryIdOf(doc);
  const contentType = doc.content?.[0]?.attachment?.contentType ?? '';
  let content: Html = html`<p>Ce document ne peut pas être affiché ici ; vous pouvez le télécharger.</p>`;
  if (binaryId && CDA_TYPES.test(contentType)) {
    const bytes = (await call.fhir.binary(binaryId)).data;
    const cda = readCdaNarrative(bytes);
    if (cda.sections.length) content = html`${cda.sections.map((s) => sectionHtml(s, 2))}`;
    else if (cda.embedded?.mediaType === 'application/pdf') content = html`<iframe title="${documentTitle(doc)}" src="/portal/documents/${id}/embedded" class="pdf" width="100%" height="800"></iframe>`;
  } else if (binaryId && contentType === 'application/pdf') {
    content = html`<iframe title="${documentTitle(doc)}" src="/portal/documents/${id}/original?inline=1" width="100%" height="800"></iframe>`;
  } else if (binaryId && /^image\/(png|jpeg|gif|webp)$/.test(contentType)) {
    content = html`<img src="/portal/documents/${id}/original?inline=1" alt="${documentTitle(doc)}" style="max-width:100%">`;
  } else if (binaryId && contentType.startsWith('text/plain')) {
    content = html`<pre class="narrative">${(await call.fhir.binary(binaryId)).data.toString('utf8')}</pre>`;
  }
  const maskConsent = masks.get(id);
  const masked = !!maskConsent || maskedAtSubmission(doc);
  const resultTable = results.length
    ? html`<section><h2>Résultats</h2><div class="scroll" tabindex="0" role="region" aria-label="Tableau des résultats, défilable"><table><caption>Résultats de ce document</caption>
<thead><tr><th scope="col">Examen</th><th scope="col">Résultat</th><th scope="col">Valeurs de référence</th><th scope="col">Interprétation</th><th scope="col">Date</th></tr></thead>
<tbody>${results.map((o) => {
        const flag = flagOf(o);
        return html`<tr><td>${conceptText(o.code)}</td><td>${valueText(o)}</td><td>${rangeText(o.referenceRange)}</td><td>${flag ? html`<span class="flag">${flag}</span>` : ''}</td><td>${frenchDate(o.effectiveDateTime ?? o.issued)}</td></tr>`;
      })}</tbody></table></div></section>`
    : '';
  const body = html`
<dl>
<dt>Date</dt><dd>${frenchDate(doc.date ?? doc.context?.period?.start)}</dd>
<dt>Auteur</dt><dd>${authors.join(', ') || '—'}</dd>
<dt>Visibilité</dt><dd>${masked ? 'Masqué aux professionnels de santé (sauf son auteur et votre médecin traitant)' : 'Visible par les professionnels que vous avez autorisés'}</dd>
</dl>
${
  maskConsent
    ? html`<form method="post" action="/portal/documents/${id}/unmask"><input type="hidden" name="csrf" value="${call.session.csrf}"><button type="submit">Rendre visible aux professionnels</button></form>`
    : maskedAtSubmission(doc)
      ? html`<p class="muted">Ce document a été masqué par son auteur lors de son dépôt.</p>`
      : html`<form method="post" action="/portal/documents/${id}/mask"><input type="hidden" name="csrf" value="${call.session.csrf}"><button type="submit" class="secondary">Masquer ce document aux professionnels</button></form>`
}
${binaryId ? html`<p><a href="/portal/documents/${id}/original" download>Télécharger le document original</a></p>` : ''}
${resultTable}
<section><h2>Contenu du document</h2>${content}</section>`;
  return { title: documentTitle(doc), body };
}
