import type { HumanName, Patient, RelatedPerson } from '@medplum/fhirtypes';
import { guardianLinkValid } from '../access/guardian-rules';
import type { Statements } from '../store/db';
import { sql } from '../store/sql';
import { INS_SYSTEMS } from '../validation/ins';
import type { GrantSubject } from './subject';

/** A record the signed-in person may open: his own, or a child's he is the guardian of now. */
export interface RecordChoice {
  /** Form value: `self` or `rp:<RelatedPerson id>`. */
  value: string;
  label: string;
  subject: GrantSubject;
}

const parse = <T>(text: string | null): T | undefined => (text ? (JSON.parse(text) as T) : undefined);

function nameOf(patient: Patient | undefined): string {
  const name: HumanName | undefined = patient?.name?.find((n) => n.use === 'usual') ?? patient?.name?.[0];
  const text = name?.text ?? [...(name?.given ?? []), name?.family].filter(Boolean).join(' ');
  return text || 'Dossier sans nom';
}

/**
 * The records a patient who just signed in may choose (issue 15: "guardians choose which record at sign-in"): his
 * own, then each record whose guardian link names him. A guardian link names him when the RelatedPerson carries
 * his own record's INS as an identifier: only people already trusted with that child's record may write a
 * guardian RelatedPerson (`assertGuardianWrite`), so nobody can name himself a child's guardian this way. The
 * link must be valid at `now` (minor, or a court measure running); the access module checks it again on every
 * request of the token.
 */
export async function recordChoices(db: Statements, patientId: string, now: Date): Promise<RecordChoice[]> {
  const own = await db.query<{ text: string | null; ins: string[] | null }>(sql`SELECT p.text, ar.ins FROM resource p
    LEFT JOIN access_record ar ON ar.patient_id = p.id WHERE p.type = 'Patient' AND p.id = ${patientId} AND NOT p.deleted`);
  const choices: RecordChoice[] = [{ value: 'self', label: `Mon dossier (${nameOf(parse<Patient>(own.rows[0]?.text ?? null))})`, subject: { kind: 'patient', patient: patientId } }];
  const ins = own.rows[0]?.ins ?? [];
  if (ins.length === 0) return choices;
  // RelatedPerson rows keep no JSONB content: the identifier is found through its search index (system and code).
  const { rows } = await db.query<{ id: string; patient_id: string; person: string | null; patient: string | null }>(sql`SELECT DISTINCT rp.id, g.patient_id,
      rp.text AS person, p.text AS patient
    FROM idx_token t
    JOIN resource rp ON rp.rid = t.rid AND rp.type = 'RelatedPerson' AND NOT rp.deleted
    JOIN access_guardian g ON g.related_person_id = rp.id
    LEFT JOIN resource p ON p.type = 'Patient' AND p.id = g.patient_id AND NOT p.deleted
    WHERE t.type = 'RelatedPerson' AND t.param = 'identifier' AND t.code = ANY(${ins}::text[]) AND t.system = ANY(${[...INS_SYSTEMS]}::text[])
    ORDER BY rp.id`);
  for (const row of rows) {
    const person = parse<RelatedPerson>(row.person);
    const child = parse<Patient>(row.patient);
    // The INS must be stated as an INS (system), not any identifier that happens to have the same digits.
    const named = person?.identifier?.some((i) => i.value !== undefined && ins.includes(i.value) && INS_SYSTEMS.includes(i.system ?? ''));
    if (!named || row.patient_id === patientId || !guardianLinkValid(person, child, now)) continue;
    choices.push({ value: `rp:${row.id}`, label: `Dossier de ${nameOf(child)}`, subject: { kind: 'guardian', patient: row.patient_id, relatedPerson: row.id } });
  }
  return choices;
}
