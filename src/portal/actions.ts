import { randomUUID } from 'node:crypto';
import type { AllergyIntolerance, Bundle, DocumentReference, Immunization, Observation, Patient } from '@medplum/fhirtypes';
import { NOTIFY_PREFERENCE_URL } from '../notify/recipients';
import { buildPreferencesExtension, NOTICE_CHOICES, NOTICE_GROUPS, NOTIFY_PREFERENCES_URL, type NoticeChoice, type NoticeGroup } from '../notify/notice-preferences';
import { choiceAllowed } from './pages/notice-kinds';
import type { PortalCall } from './portal-request';
import { BLOOD_GROUP_LOINC } from './pages/summary';
import { BLOOD_GROUPS } from './pages/add';
import { CHANNELS } from './pages/settings';

/** A form value the patient had to give, trimmed; a `PortalInputError` (400, in French) otherwise. */
export class PortalInputError extends Error {}

export function required(form: Record<string, unknown>, name: string, label: string, max = 200): string {
  const v = typeof form[name] === 'string' ? (form[name] as string).trim() : '';
  if (!v) throw new PortalInputError(`Veuillez indiquer : ${label}.`);
  if (v.length > max) throw new PortalInputError(`${label} : ${max} caractères au plus.`);
  return v;
}

function optional(form: Record<string, unknown>, name: string, max = 200): string | undefined {
  const v = typeof form[name] === 'string' ? (form[name] as string).trim() : '';
  return v ? v.slice(0, max) : undefined;
}

const patientRef = (call: PortalCall) => ({ reference: `Patient/${call.session.patient}` });

export async function addAllergy(call: PortalCall, form: Record<string, unknown>): Promise<void> {
  const reaction = optional(form, 'reaction');
  const allergy: AllergyIntolerance = {
    resourceType: 'AllergyIntolerance',
    clinicalStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical', code: 'active' }] },
    // Declared by the patient, not confirmed by a professional.
    verificationStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/allergyintolerance-verification', code: 'unconfirmed' }] },
    code: { text: required(form, 'text', 'l’allergie') },
    patient: patientRef(call),
    recorder: patientRef(call),
    asserter: patientRef(call),
    recordedDate: new Date().toISOString(),
    reaction: reaction ? [{ manifestation: [{ text: reaction }] }] : undefined,
  };
  await call.fhir.create(allergy);
}

export async function addBloodGroup(call: PortalCall, form: Record<string, unknown>): Promise<void> {
  const group = required(form, 'group', 'le groupe sanguin', 3);
  if (!BLOOD_GROUPS.includes(group)) throw new PortalInputError('Ce groupe sanguin n’est pas reconnu.');
  const observation: Observation = {
    resourceType: 'Observation',
    status: 'final',
    code: { coding: [{ system: 'http://loinc.org', code: BLOOD_GROUP_LOINC, display: 'ABO and Rh group [Type] in Blood' }], text: 'Groupe sanguin' },
    subject: patientRef(call),
    performer: [patientRef(call)],
    issued: new Date().toISOString(),
    valueCodeableConcept: { text: group },
  };
  await call.fhir.create(observation);
}

export async function addVaccination(call: PortalCall, form: Record<string, unknown>): Promise<void> {
  const date = required(form, 'date', 'la date', 10);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date) || date > new Date().toISOString().slice(0, 10)) throw new PortalInputError('La date de vaccination doit être une date passée.');
  const immunization: Immunization = {
    resourceType: 'Immunization',
    status: 'completed',
    vaccineCode: { text: required(form, 'vaccine', 'le vaccin') },
    patient: patientRef(call),
    occurrenceDateTime: date,
    primarySource: false,
    reportOrigin: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/immunization-origin', code: 'recall' }], text: 'Déclaré par le patient' },
  };
  await call.fhir.create(immunization);
}

export async function addEmergencyContact(call: PortalCall, form: Record<string, unknown>): Promise<void> {
  const phone = required(form, 'phone', 'le téléphone', 30);
  if (!/^\+?[\d\s.()-]{6,30}$/.test(phone)) throw new PortalInputError('Ce numéro de téléphone n’est pas valide.');
  const relation = optional(form, 'relation', 60);
  const me = await call.fhir.read<Patient>('Patient', call.session.patient);
  const contact = {
    relationship: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0131', code: 'C', display: 'Emergency Contact' }], text: relation ?? 'Personne à prévenir' }],
    name: { family: required(form, 'family', 'le nom', 100), given: [required(form, 'given', 'le prénom', 100)] },
    telecom: [{ system: 'phone' as const, value: phone }],
  };
  await call.fhir.update({ ...me, id: call.session.patient, contact: [...(me.contact ?? []), contact] });
}

export async function setNoticeChannel(call: PortalCall, form: Record<string, unknown>): Promise<void> {
  const channel = required(form, 'channel', 'un mode de notification', 10);
  if (!CHANNELS.some((c) => c.code === channel)) throw new PortalInputError('Ce mode de notification n’est pas reconnu.');
  const me = await call.fhir.read<Patient>('Patient', call.session.patient);
  const extension = [...(me.extension ?? []).filter((e) => e.url !== NOTIFY_PREFERENCE_URL), { url: NOTIFY_PREFERENCE_URL, valueCode: channel }];
  await call.fhir.update({ ...me, id: call.session.patient, extension });
}

/**
 * Stores the per-kind notice choices (`notification-preferences`): a kind left unchosen follows the record-wide
 * channel; an unknown channel, or "none" for emergency accesses, is refused (400, in French).
 */
export async function setNoticeKinds(call: PortalCall, form: Record<string, unknown>): Promise<void> {
  const choices: Partial<Record<NoticeGroup, NoticeChoice>> = {};
  for (const group of NOTICE_GROUPS) {
    const value = optional(form, `kind-${group}`, 10);
    if (value === undefined) continue;
    if (!NOTICE_CHOICES.includes(value as NoticeChoice)) throw new PortalInputError('Ce mode de notification n’est pas reconnu.');
    if (!choiceAllowed(group, value as NoticeChoice)) throw new PortalInputError('Un accès en urgence à votre dossier vous est toujours signalé : choisissez l’e-mail, le SMS ou les deux.');
    choices[group] = value as NoticeChoice;
  }
  const me = await call.fhir.read<Patient>('Patient', call.session.patient);
  const kept = (me.extension ?? []).filter((e) => e.url !== NOTIFY_PREFERENCES_URL);
  const extension = Object.keys(choices).length ? [...kept, buildPreferencesExtension(choices)] : kept;
  await call.fhir.update({ ...me, id: call.session.patient, extension });
}

/** LOINC of the document kinds a patient files himself. */
const ADVANCE_DIRECTIVES = { system: 'http://loinc.org', code: '42348-3', display: 'Advance directives' };
const PATIENT_DOCUMENT = { system: 'http://loinc.org', code: '51851-4', display: 'Administrative note' };

/**
 * Files a document of the patient's own (his advance directives, a scan or a photo): its Binary and
 * DocumentReference in one transaction, so neither exists without the other.
 */
export async function addPatientDocument(call: PortalCall, doc: { title: string; contentType: string; data: Buffer; directives?: boolean }): Promise<string> {
  const binaryUrl = `urn:uuid:${randomUUID()}`;
  const docUrl = `urn:uuid:${randomUUID()}`;
  const reference: DocumentReference = {
    resourceType: 'DocumentReference',
    status: 'current',
    type: { coding: [doc.directives ? ADVANCE_DIRECTIVES : PATIENT_DOCUMENT], text: doc.directives ? 'Directives anticipées' : 'Document ajouté par le patient' },
    subject: patientRef(call),
    author: [patientRef(call)],
    date: new Date().toISOString(),
    description: doc.title,
    content: [{ attachment: { contentType: doc.contentType, url: binaryUrl, title: doc.title, size: doc.data.length } }],
  };
  const bundle: Bundle = {
    resourceType: 'Bundle',
    type: 'transaction',
    // The DocumentReference first: the Binary's access is that of the document its securityContext names, which
    // this server resolves in entry order.
    entry: [
      { fullUrl: docUrl, resource: reference, request: { method: 'POST', url: 'DocumentReference' } },
      { fullUrl: binaryUrl, resource: { resourceType: 'Binary', contentType: doc.contentType, securityContext: { reference: docUrl }, data: doc.data.toString('base64') }, request: { method: 'POST', url: 'Binary' } },
    ],
  };
  const answer = await call.fhir.operation<Bundle>('', bundle);
  const location = answer.entry?.[0]?.response?.location ?? '';
  return /DocumentReference\/([^/]+)/.exec(location)?.[1] ?? '';
}

/** The file types a patient may upload, by their first bytes (the browser's declared type is not trusted). */
export function sniffUpload(data: Buffer): string | undefined {
  if (data.subarray(0, 5).toString('latin1') === '%PDF-') return 'application/pdf';
  if (data[0] === 0xff && data[1] === 0xd8 && data[2] === 0xff) return 'image/jpeg';
  if (data.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return 'image/png';
  return undefined;
}
