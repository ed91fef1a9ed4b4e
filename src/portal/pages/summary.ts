import type { AllergyIntolerance, Condition, DocumentReference, Immunization, MedicationRequest, MedicationStatement, Observation, Patient } from '@medplum/fhirtypes';
import { conceptText, frenchDate, frenchDay, personName } from '../display';
import { html, type Html } from '../html';
import type { PortalCall } from '../portal-request';
import { documentTitle } from './documents';

/** LOINC of the ABO and Rh blood group. */
export const BLOOD_GROUP_LOINC = '882-1';

const CLINICAL_STATUS: Record<string, string> = { active: 'active', recurrence: 'récidive', relapse: 'rechute', inactive: 'inactive', remission: 'en rémission', resolved: 'résolue' };

function list<T>(items: T[], empty: string, item: (t: T) => Html): Html {
  return items.length ? html`<ul>${items.map((t) => html`<li>${item(t)}</li>`)}</ul>` : html`<p class="muted">${empty}</p>`;
}

/** `/portal/`: what matters at a glance — allergies, treatments, vaccinations, problems, blood group, contacts, documents. */
export async function summaryPage(call: PortalCall): Promise<{ title: string; body: Html }> {
  const { fhir, session } = call;
  const patient = session.patient;
  const [me, allergies, meds, prescriptions, vaccines, problems, blood, docs] = await Promise.all([
    fhir.read<Patient>('Patient', patient),
    fhir.search<AllergyIntolerance>('AllergyIntolerance', { patient, _count: '50' }),
    fhir.search<MedicationStatement>('MedicationStatement', { patient, status: 'active', _count: '50' }),
    // Ongoing prescriptions are treatments too (a prescription is a MedicationRequest, issue 13); a line that says
    // "do not give" is not a treatment taken.
    fhir.search<MedicationRequest>('MedicationRequest', { patient, status: 'active', _count: '50' }),
    fhir.search<Immunization>('Immunization', { patient, _count: '50' }),
    fhir.search<Condition>('Condition', { patient, _count: '50' }),
    fhir.search<Observation>('Observation', { patient, code: `http://loinc.org|${BLOOD_GROUP_LOINC}`, _count: '5' }),
    fhir.search<DocumentReference>('DocumentReference', { patient, _sort: '-date', _count: '5' }),
  ]);
  const contacts = (me.contact ?? []).filter((c) => c.name || c.telecom?.length);
  const group = blood.resources[0];
  const body = html`
<div class="cards">
<section class="card" aria-labelledby="s-allergies"><h2 id="s-allergies">Allergies</h2>
${list(allergies.resources, 'Aucune allergie enregistrée.', (a) => html`${conceptText(a.code)}${a.clinicalStatus ? html` <span class="muted">(${CLINICAL_STATUS[a.clinicalStatus.coding?.[0]?.code ?? ''] ?? conceptText(a.clinicalStatus)})</span>` : ''}`)}
</section>
<section class="card" aria-labelledby="s-meds"><h2 id="s-meds">Traitements en cours</h2>
${list(
  [
    ...meds.resources.map((m) => html`${conceptText(m.medicationCodeableConcept) || 'Médicament'}${m.dosage?.[0]?.text ? html` — ${m.dosage[0].text}` : ''}`),
    ...prescriptions.resources
      .filter((r) => !r.doNotPerform)
      .map((r) => html`${conceptText(r.medicationCodeableConcept) || 'Médicament'}${r.dosageInstruction?.[0]?.text ? html` — ${r.dosageInstruction[0].text}` : ''} <span class="muted">(prescrit${r.authoredOn ? ` le ${frenchDay(r.authoredOn)}` : ''})</span>`),
  ],
  'Aucun traitement en cours enregistré.',
  (line) => line,
)}
</section>
<section class="card" aria-labelledby="s-vaccines"><h2 id="s-vaccines">Vaccinations</h2>
${list(vaccines.resources.filter((v) => v.status === 'completed'), 'Aucune vaccination enregistrée.', (v) => html`${conceptText(v.vaccineCode)}${v.occurrenceDateTime ? html` — ${frenchDate(v.occurrenceDateTime)}` : ''}`)}
</section>
<section class="card" aria-labelledby="s-problems"><h2 id="s-problems">Problèmes de santé</h2>
${list(problems.resources, 'Aucun problème de santé enregistré.', (c) => html`${conceptText(c.code)}${c.clinicalStatus ? html` <span class="muted">(${CLINICAL_STATUS[c.clinicalStatus.coding?.[0]?.code ?? ''] ?? conceptText(c.clinicalStatus)})</span>` : ''}`)}
</section>
<section class="card" aria-labelledby="s-blood"><h2 id="s-blood">Groupe sanguin</h2>
${group ? html`<p>${conceptText(group.valueCodeableConcept) || group.valueString || ''}</p>` : html`<p class="muted">Non renseigné.</p>`}
</section>
<section class="card" aria-labelledby="s-contacts"><h2 id="s-contacts">Personnes à prévenir</h2>
${list(contacts, 'Aucune personne à prévenir.', (c) => html`${personName(c.name ? [c.name] : undefined)}${c.telecom?.length ? html` — ${c.telecom.map((t) => t.value).join(', ')}` : ''}`)}
</section>
</div>
<section aria-labelledby="s-docs"><h2 id="s-docs">Derniers documents</h2>
${list(docs.resources, 'Aucun document.', (d) => html`<a href="/portal/documents/${d.id}">${documentTitle(d)}</a> <span class="muted">${frenchDate(d.date)}</span>`)}
<p><a href="/portal/documents">Tous les documents</a></p>
</section>`;
  return { title: `Synthèse du dossier de ${personName(me.name)}`, body };
}
