import { emergencyRefusalsWithoutEffect, hasChoiceWithoutEffect, provisionsReadOtherwise, type ProvisionReadOtherwise } from '../../access/consent-effect';
import { patientConsent, type RefusablePurpose } from '../../access/consent-rules';
import type { Consent, ConsentProvision, DocumentReference, Patient, Practitioner } from '@medplum/fhirtypes';
import { documentTitle } from './documents';
import { personName, periodText } from '../display';
import { DECLARED_NAME, DirectoryNames, professionalText } from '../directory-names';
import { isDeclaredEntry } from '../../access/declared-entries';
import { RPPS_SYSTEM } from '../../access/actor';
import { html, type Html } from '../html';
import type { PortalCall } from '../portal-request';

export const IDNAT_PS = 'urn:oid:1.2.250.1.71.4.2.1';
const ACT_REASON = 'http://terminology.hl7.org/CodeSystem/v3-ActReason';
const IRCP = { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ParticipationType', code: 'IRCP' }] };

/** The emergency accesses a patient may refuse in advance, as the leaflet names them. */
export const EMERGENCY: { code: 'BTG' | 'ETREAT'; label: string }[] = [
  { code: 'BTG', label: 'Accès en urgence par un professionnel (« bris de glace »)' },
  { code: 'ETREAT', label: 'Accès par le médecin régulateur du SAMU (centre 15)' },
];

/** A Consent of the patient, dated now, in the coding the access rules read (`access/consent-rules.ts`). */
export function portalConsent(patientId: string, provision: ConsentProvision): Consent {
  return patientConsent(patientId, provision, new Date().toISOString());
}

/** How a Consent names a professional: his national identifier (IdNat_PS) when the directory has it. */
export function professionalActor(p: Practitioner): NonNullable<ConsentProvision['actor']>[number] {
  const idnat = p.identifier?.find((i) => i.system === IDNAT_PS && i.value);
  return { role: IRCP, reference: idnat ? { identifier: { system: IDNAT_PS, value: idnat.value } } : { reference: `Practitioner/${p.id}` } };
}

/** The patient's active Consents, sorted by what they state. */
/** An emergency refusal a Consent states naming a professional or a document: it refuses nothing (migration 220). */
export interface RefusalWithoutEffect {
  consent: Consent;
  purpose: RefusablePurpose;
  /** The provision naming someone: the refusal was meant for them. */
  names: ConsentProvision;
}

/** A provision of a Consent in force stored in a shape writes now refuse (`provisionsReadOtherwise`), and how it is read. */
export interface ReadOtherwise extends ProvisionReadOtherwise {
  consent: Consent;
}

export async function consentsOf(call: PortalCall): Promise<{ permits: Consent[]; denies: Consent[]; refusals: Map<string, Consent>; withoutEffect: Consent[]; refusalsWithoutEffect: RefusalWithoutEffect[]; readOtherwise: ReadOtherwise[] }> {
  const found = (await call.fhir.search<Consent>('Consent', { patient: call.session.patient, status: 'active', _count: '200' })).resources;
  // Stored before attack sweep 8 in a form the access rules do not apply (a professional or a document named so that no
  // rule matches; an opening or an authorisation carrying a narrowing, which grants nothing): listed apart, never as a
  // block or an authorisation the patient would believe in force.
  const withoutEffect = found.filter(hasChoiceWithoutEffect);
  const all = found.filter((c) => !withoutEffect.includes(c));
  const refusals = new Map<string, Consent>();
  for (const c of all) {
    const p = c.provision;
    if (p?.type === 'deny' && !p.actor?.length && !p.data?.length) for (const code of p.purpose ?? []) if (code.system === ACT_REASON && code.code) refusals.set(code.code, c);
  }
  // The rest of such a Consent (the block or authorisation of the professional it names) still applies: it stays where it
  // is listed, and only its refusal is shown as without effect.
  const refusalsWithoutEffect = all.flatMap((consent) => emergencyRefusalsWithoutEffect(consent).map(({ purpose, names }) => ({ consent, purpose, names })));
  // Stored before writes refused their shape (attack sweep 10): still applied as derived then, each said as it is read.
  const readOtherwise = all.flatMap((consent) => provisionsReadOtherwise(consent).map((r) => ({ consent, ...r })));
  return {
    refusalsWithoutEffect,
    readOtherwise,
    permits: all.filter((c) => c.provision?.type === 'permit' && c.provision.actor?.length),
    denies: all.filter((c) => c.provision?.type === 'deny' && c.provision.actor?.length),
    refusals,
    withoutEffect,
  };
}

async function directorySearch(call: PortalCall, q: string): Promise<Practitioner[]> {
  const text = q.trim().slice(0, 80);
  if (!text) return [];
  const params: Record<string, string> = /^\d{11}$/.test(text) ? { identifier: `${IDNAT_PS}|8${text}` } : { name: text };
  return (await call.fhir.search<Practitioner>('Practitioner', { ...params, _count: '20' })).resources;
}

/**
 * A directory entry as the search lists it, to authorise or block (attack sweep 11): its name, marked when a sender
 * declared it (nobody checked it), and its RPPS number. Without both, an entry a professional or a feeder declared under
 * the name of the patient's physician looked exactly like his: the patient authorised the impostor's number, or blocked
 * it and left the real one in.
 */
function searchLabel(p: Practitioner): string {
  const name = personName(p.name) || 'Professionnel';
  const idnat = p.identifier?.find((i) => i.system === IDNAT_PS && /^8\d{11}$/.test(i.value ?? ''))?.value?.slice(1);
  // Only a number is shown as one: an identifier's value is the sender's text too.
  const rpps = idnat ?? p.identifier?.find((i) => i.system === RPPS_SYSTEM && /^\d{11}$/.test(i.value ?? ''))?.value;
  return `${name}${isDeclaredEntry(p) ? ` ${DECLARED_NAME}` : ''}${rpps ? ` — RPPS ${rpps}` : ''}`;
}

/** What a Consent without effect tried to do, in the patient's words, with the target as it was written. */
function withoutEffectText(c: Consent): string {
  const p = c.provision;
  const target = p?.actor?.[0]?.reference?.display ?? p?.actor?.[0]?.reference?.identifier?.value ?? p?.actor?.[0]?.reference?.reference
    ?? p?.data?.[0]?.reference?.reference ?? '';
  const when = c.dateTime ? ` (choix du ${new Date(c.dateTime).toLocaleDateString('fr-FR', { timeZone: 'Europe/Paris' })})` : '';
  if (p?.type === 'permit' && !p.actor?.length && !p.data?.length) return `Ouverture de votre dossier${when}`;
  const what = p?.data?.length ? 'Masquage du document' : p?.type === 'permit' ? 'Autorisation de' : 'Blocage de';
  return `${what} « ${target.trim() || 'non précisé'} »${when}`;
}

/** A provision read otherwise than written: the choice it belongs to (its professional by name), then how it is read now. */
async function readOtherwiseText(r: ReadOtherwise, named: (ref: NonNullable<ConsentProvision['actor']>[number]['reference']) => Promise<string>): Promise<Html> {
  const p = r.consent.provision;
  const when = r.consent.dateTime ? ` (choix du ${new Date(r.consent.dateTime).toLocaleDateString('fr-FR', { timeZone: 'Europe/Paris' })})` : '';
  const choice = p?.actor?.length
    ? `${p.type === 'permit' ? 'Autorisation de' : 'Blocage de'} ${(await Promise.all(p.actor.map((a) => named(a.reference)))).join(', ')}`
    : p?.data?.length ? `Masquage du document « ${p.data[0].reference?.reference ?? ''} »` : 'Ouverture de votre dossier';
  return html`${choice}${when} — ${r.text}`;
}

/** An emergency refusal naming someone, in the patient's words: which access, meant for whom, and what still applies. */
async function refusalWithoutEffectText(r: RefusalWithoutEffect, named: (ref: NonNullable<ConsentProvision['actor']>[number]['reference']) => Promise<string>): Promise<Html> {
  const access = r.purpose === 'BTG' ? 'l’accès en urgence (« bris de glace »)' : 'l’accès par le médecin régulateur du SAMU';
  const when = r.consent.dateTime ? ` (choix du ${new Date(r.consent.dateTime).toLocaleDateString('fr-FR', { timeZone: 'Europe/Paris' })})` : '';
  const who = r.names.actor?.length ? (await Promise.all(r.names.actor.map((a) => named(a.reference)))).join(', ') : '';
  const doc = r.names.data?.[0]?.reference?.reference ?? '';
  const target = who ? `visant ${who}` : `lié au document « ${doc} »`;
  const rest = !who
    ? 'Le masquage du document enregistré avec lui s’applique toujours.'
    : r.names.type === 'deny'
      ? `Le blocage de ${who} enregistré avec lui s’applique toujours, y compris en urgence.`
      : `L’autorisation de ${who} enregistrée avec lui s’applique toujours.`;
  return html`Refus de ${access} ${target}${when} — sans effet. Un refus de l’accès en urgence vaut pour tous les professionnels et ne peut viser une personne ou un document : ce refus ne s’applique à personne. ${rest} Pour tenir un professionnel à l’écart de votre dossier, même en urgence, bloquez-le ci-dessous ; pour refuser cet accès à tous, décochez-le dans « Accès en urgence ».`;
}

/** Documents masked by provisions nested in this Consent's top provision: exceptions for the professional it names. */
function nestedMasks(c: Consent): string[] {
  const found: string[] = [];
  const walk = (p: ConsentProvision): void => {
    for (const n of p.provision ?? []) {
      if (n.type === 'deny') for (const d of n.data ?? []) { const m = /^DocumentReference\/([^/]+)/.exec(d.reference?.reference ?? ''); if (m) found.push(m[1]); }
      walk(n);
    }
  };
  if (c.provision) walk(c.provision);
  return [...new Set(found)];
}

/**
 * How a mask nested under an authorisation or a block is read (FHIR: an exception to the provision around it): hidden
 * from the professional it names only. Said in her words, for a patient who may have meant « from everyone ».
 */
async function nestedMaskText(call: PortalCall, c: Consent, name: string): Promise<Html> {
  const ids = nestedMasks(c);
  if (!ids.length) return html``;
  const titles = await Promise.all(ids.map(async (id) => {
    try { return `« ${documentTitle(await call.fhir.read<DocumentReference>('DocumentReference', id))} »`; } catch { return 'un document que vous ne voyez pas ou qui n’existe plus'; }
  }));
  const what = c.provision?.type === 'permit' ? `sauf ${titles.join(', ')}` : `et ${titles.join(', ')}`;
  return html`<span class="nested-masks">— ${what} : ${ids.length > 1 ? 'ces documents sont masqués' : 'ce document est masqué'} pour ${name} seulement ; les autres professionnels que vous avez autorisés ${ids.length > 1 ? 'les' : 'le'} voient. Pour ${ids.length > 1 ? 'les' : 'le'} masquer à tous les professionnels, utilisez « Masquer » sur la page du document.</span>`;
}

function withdrawForm(call: PortalCall, consent: Consent, label: string): Html {
  return html`<form method="post" action="/portal/access/withdraw" class="inline"><input type="hidden" name="csrf" value="${call.session.csrf}"><input type="hidden" name="consent" value="${consent.id}"><button type="submit" class="secondary">${label}</button></form>`;
}

/** `/portal/access`: who may read the record, who may not, emergency access, and the directory search. */
export async function accessPage(call: PortalCall, q: string | undefined): Promise<{ title: string; body: Html }> {
  const [me, consents, found] = await Promise.all([call.fhir.read<Patient>('Patient', call.session.patient), consentsOf(call), directorySearch(call, q ?? '')]);
  const names = new DirectoryNames(call.fhir);
  const named = async (c: Consent) => professionalText((await names.name(c.provision?.actor?.[0]?.reference)) ?? { name: 'Professionnel de santé' });
  const treating = await Promise.all((me.generalPractitioner ?? []).map(async (g) => professionalText((await names.name(g)) ?? { name: 'Médecin traitant' })));
  const permits = await Promise.all(consents.permits.map(async (c) => { const name = await named(c); return { c, name, masks: await nestedMaskText(call, c, name) }; }));
  const denies = await Promise.all(consents.denies.map(async (c) => { const name = await named(c); return { c, name, masks: await nestedMaskText(call, c, name) }; }));
  const csrf = html`<input type="hidden" name="csrf" value="${call.session.csrf}">`;
  const actorName = async (ref: NonNullable<ConsentProvision['actor']>[number]['reference']) => professionalText((await names.name(ref)) ?? { name: ref?.identifier?.value ?? ref?.reference ?? 'Professionnel de santé' });
  const refusalsWithoutEffect = await Promise.all(consents.refusalsWithoutEffect.map((r) => refusalWithoutEffectText(r, actorName)));
  const readOtherwise = await Promise.all(consents.readOtherwise.map(async (r) => ({ r, text: await readOtherwiseText(r, actorName) })));
  const body = html`
<section aria-labelledby="h-treating"><h2 id="h-treating">Mon médecin traitant</h2>
${treating.length ? html`<ul>${treating.map((t) => html`<li>${t} <span class="muted">— il a toujours accès à votre dossier ; pour en changer, déclarez un nouveau médecin traitant.</span></li>`)}</ul>` : html`<p class="muted">Aucun médecin traitant déclaré.</p>`}
</section>
<section aria-labelledby="h-permits"><h2 id="h-permits">Professionnels autorisés</h2>
${permits.length ? html`<ul>${permits.map(({ c, name, masks }) => html`<li>${name} ${periodText(c.provision?.period)} ${masks} ${withdrawForm(call, c, `Retirer l’autorisation de ${name}`)}</li>`)}</ul>` : html`<p class="muted">Vous n’avez autorisé aucun professionnel en particulier.</p>`}
</section>
<section aria-labelledby="h-denies"><h2 id="h-denies">Professionnels bloqués</h2>
${denies.length ? html`<ul>${denies.map(({ c, name, masks }) => html`<li>${name} ${masks} ${withdrawForm(call, c, `Débloquer ${name}`)}</li>`)}</ul>` : html`<p class="muted">Vous n’avez bloqué aucun professionnel.</p>`}
</section>
${consents.withoutEffect.length || refusalsWithoutEffect.length || readOtherwise.length ? html`<section aria-labelledby="h-without-effect"><h2 id="h-without-effect">Choix sans effet</h2>
${consents.withoutEffect.length ? html`<p>Ces choix ont été enregistrés sous une forme que le DMP ne sait pas appliquer : ils ne bloquent, ne masquent ni n’autorisent rien. Retirez-les, puis refaites votre choix ci-dessous (professionnel) ou depuis la page du document (masquage).</p>
<ul>${consents.withoutEffect.map((c) => html`<li>${withoutEffectText(c)} — sans effet ${withdrawForm(call, c, 'Retirer ce choix sans effet')}</li>`)}</ul>` : ''}
${refusalsWithoutEffect.length ? html`<ul class="refusals-without-effect">${refusalsWithoutEffect.map((t) => html`<li>${t}</li>`)}</ul>` : ''}
${readOtherwise.length ? html`<ul class="read-otherwise">${readOtherwise.map(({ r, text }) => html`<li>${text} ${withdrawForm(call, r.consent, 'Retirer ce choix')}</li>`)}</ul>` : ''}
</section>` : ''}
<section aria-labelledby="h-emergency"><h2 id="h-emergency">Accès en urgence</h2>
<form method="post" action="/portal/access/emergency">${csrf}
<fieldset><legend>En cas d’urgence, j’autorise :</legend>
${EMERGENCY.map((e) => html`<div><input type="checkbox" id="em-${e.code}" name="allow" value="${e.code}"${consents.refusals.has(e.code) ? '' : html` checked`}> <label for="em-${e.code}" style="display:inline">${e.label}</label></div>`)}
</fieldset>
<button type="submit">Enregistrer mes choix d’urgence</button>
</form>
</section>
<section aria-labelledby="h-search"><h2 id="h-search">Autoriser ou bloquer un professionnel</h2>
<form method="get" action="/portal/access" role="search">
<label for="q">Nom ou numéro RPPS du professionnel</label>
<input id="q" name="q" value="${q ?? ''}" autocomplete="off">
<button type="submit">Rechercher</button>
</form>
${q !== undefined && q.trim() ? (found.length ? html`<ul>${found.map((p) => html`<li>${searchLabel(p)} 
<form method="post" action="/portal/access/permit">${csrf}<input type="hidden" name="practitioner" value="${p.id}">
<label for="start-${p.id}">Autorisé à partir du</label><input type="date" id="start-${p.id}" name="start">
<label for="end-${p.id}">jusqu’au (facultatif)</label><input type="date" id="end-${p.id}" name="end">
<button type="submit">Autoriser ${searchLabel(p)}</button></form>
<form method="post" action="/portal/access/deny">${csrf}<input type="hidden" name="practitioner" value="${p.id}"><button type="submit" class="secondary">Bloquer ${searchLabel(p)}</button></form>
</li>`)}</ul>` : html`<p>Aucun professionnel trouvé pour « ${q} ».</p>`) : ''}
</section>`;
  return { title: 'Accès des professionnels', body };
}
