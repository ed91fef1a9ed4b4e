import type { HumanName, Patient, RelatedPerson } from '@medplum/fhirtypes';
import { guardianLinkValid } from '../access/guardian-rules';
import type { Statements } from '../store/db';
import { sql } from '../store/sql';
import type { NoticeText } from './messages';
import { resolveRecipients, type Recipient } from './recipients';

/** A guardian who acts for a record at a given instant, and where his notices go. */
export interface GuardianRecipient {
  relatedPersonId: string;
  recipients: Recipient[];
}

/**
 * The guardians whose link gives rights at `at` (a minor in Europe/Paris, or a court measure running:
 * `guardianLinkValid`), per record, with the best-ranked e-mail or mobile of each RelatedPerson. A link that no
 * longer counts (the child came of age, the measure ended, `active: false`) receives nothing.
 */
export async function loadGuardianRecipients(tx: Statements, patientIds: string[], at: Date): Promise<Map<string, GuardianRecipient[]>> {
  const found = new Map<string, GuardianRecipient[]>();
  if (patientIds.length === 0) return found;
  const { rows } = await tx.query<{ patient_id: string; related_person_id: string; person: string; patient: string | null }>(sql`
    SELECT g.patient_id, g.related_person_id, rp.text AS person, p.text AS patient
      FROM access_guardian g
      JOIN resource rp ON rp.type = 'RelatedPerson' AND rp.id = g.related_person_id AND NOT rp.deleted
      LEFT JOIN resource p ON p.type = 'Patient' AND p.id = g.patient_id AND NOT p.deleted
     WHERE g.patient_id = ANY(${patientIds}::text[])
     ORDER BY g.patient_id, g.related_person_id`);
  for (const row of rows) {
    const person = JSON.parse(row.person) as RelatedPerson;
    const patient = row.patient ? (JSON.parse(row.patient) as Patient) : undefined;
    if (!guardianLinkValid(person, patient, at)) continue;
    // A RelatedPerson has no notice preference: his best-ranked usable contact, as for a patient without one.
    const recipients = resolveRecipients({ resourceType: 'Patient', telecom: person.telecom }, { now: at });
    const list = found.get(row.patient_id) ?? [];
    list.push({ relatedPersonId: row.related_person_id, recipients });
    found.set(row.patient_id, list);
  }
  return found;
}

/** The name a parent knows his child by, for the first line of a notice ("Lou PETIT"); none without a name. */
export function displayName(patient: Patient | undefined): string | undefined {
  const names = patient?.name ?? [];
  const name: HumanName | undefined = names.find((n) => n.use === 'usual') ?? names.find((n) => n.use === 'official') ?? names[0];
  const text = [...(name?.given ?? []), name?.family].filter(Boolean).join(' ').trim();
  return text || name?.text || undefined;
}

/**
 * The same notice as the patient's, told to his legal representative: a first sentence says whose record it is
 * about (a parent of several children must know which), the rest is the patient's text unchanged.
 */
export function forGuardian(text: NoticeText, patient: Patient | undefined): NoticeText {
  const who = displayName(patient);
  const about = who ? `du dossier médical partagé de ${who}` : 'd’un dossier médical partagé';
  return {
    subject: `${text.subject} (représentant légal)`,
    body: `Vous recevez cet avis en tant que représentant légal ${about}. ${text.body}`,
  };
}
