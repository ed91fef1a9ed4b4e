import type { Consent, DocumentReference } from '@medplum/fhirtypes';
import { conceptText, frenchDate, referenceText } from '../display';
import { DirectoryNames, professionalText } from '../directory-names';
import { html, type Html } from '../html';
import type { PortalCall } from '../portal-request';

const A07 = 'https://mos.esante.gouv.fr/NOS/TRE_A07-StatutVisibiliteDocument/FHIR/TRE-A07-StatutVisibiliteDocument';

/** The title a person reads: the document's own title (the CDA title, on the attachment), else its description or type. */
export function documentTitle(d: DocumentReference): string {
  return d.content?.[0]?.attachment?.title || d.description || conceptText(d.type) || 'Document';
}

/** The category a document is filed under on the documents page. */
function categoryOf(d: DocumentReference): string {
  return conceptText(d.category) || conceptText(d.type) || 'Autres documents';
}

/** The instant a document is dated by: its date, else the period of care it covers. */
function dateOf(d: DocumentReference): string {
  return d.date ?? d.context?.period?.start ?? d.meta?.lastUpdated ?? '';
}

/** True when the document's author masked it from professionals at submission (label MASQUE_PS). */
export function maskedAtSubmission(d: DocumentReference): boolean {
  return (d.securityLabel ?? []).some((l) => l.coding?.some((c) => c.system === A07 && c.code === 'MASQUE_PS'));
}

/** The patient's active Consents that mask a document, by document id. */
export async function masksByDocument(call: PortalCall): Promise<Map<string, Consent>> {
  const consents = await call.fhir.search<Consent>('Consent', { patient: call.session.patient, status: 'active', _count: '200' });
  const out = new Map<string, Consent>();
  for (const c of consents.resources) {
    const p = c.provision;
    if (p?.type !== 'deny') continue;
    for (const d of p.data ?? []) {
      const m = /^DocumentReference\/([^/]+)$/.exec(d.reference?.reference ?? '');
      if (m) out.set(m[1], c);
    }
  }
  return out;
}

/** `/portal/documents`: every document the patient may see, grouped by category, newest first. */
export async function documentsPage(call: PortalCall): Promise<{ title: string; body: Html }> {
  const [docs, masks] = await Promise.all([
    call.fhir.search<DocumentReference>('DocumentReference', { patient: call.session.patient, _sort: '-date', _count: '100' }),
    masksByDocument(call),
  ]);
  const names = new DirectoryNames(call.fhir);
  const authors = new Map<string, string>();
  await Promise.all(
    docs.resources.map(async (d) => {
      const named = await Promise.all((d.author ?? []).map(async (a) => (await names.name(a, d)) ?? { name: referenceText(a) }));
      authors.set(d.id as string, named.map(professionalText).join(', '));
    }),
  );
  const groups = new Map<string, DocumentReference[]>();
  for (const d of docs.resources.filter((d) => d.status !== 'entered-in-error')) {
    const key = categoryOf(d);
    groups.set(key, [...(groups.get(key) ?? []), d]);
  }
  const rows = (list: DocumentReference[]) =>
    list
      .sort((a, b) => dateOf(b).localeCompare(dateOf(a)))
      .map(
        (d) => html`<tr>
<td><a href="/portal/documents/${d.id}">${documentTitle(d)}</a>${d.status === 'superseded' ? html` <span class="muted">(remplacé par une version plus récente)</span>` : ''}</td>
<td>${frenchDate(dateOf(d))}</td>
<td>${authors.get(d.id as string) || '—'}</td>
<td>${masks.has(d.id as string) || maskedAtSubmission(d) ? 'Masqué aux professionnels' : 'Visible'}</td>
</tr>`,
      );
  const body = groups.size
    ? html`${[...groups.entries()].map(
        ([category, list]) => html`<section><h2>${category}</h2>
<table><thead><tr><th scope="col">Document</th><th scope="col">Date</th><th scope="col">Auteur</th><th scope="col">Visibilité</th></tr></thead>
<tbody>${rows(list)}</tbody></table></section>`,
      )}`
    : html`<p>Votre dossier ne contient aucun document.</p>`;
  return { title: 'Mes documents', body };
}
