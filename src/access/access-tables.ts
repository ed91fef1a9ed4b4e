import type { Consent, Patient, RelatedPerson } from '@medplum/fhirtypes';
import type { WriteEvent } from '../fhir/context';
import type { Statements } from '../store/db';
import { sql } from '../store/sql';
import { INS_SYSTEMS } from './actor';
import { parisPeriodEndAt } from './paris-calendar';
import { actorReferenceKeys, consentPatientId, parseConsent } from './consent-rules';

/** v3-RoleCode relationships that make a RelatedPerson a legal representative of a minor. */
export const GUARDIAN_RELATIONSHIPS = ['GUARD', 'PRN', 'MTH', 'FTH', 'PRNINLAW', 'STPPRN', 'ADOPTP', 'PRNFOST'];

/** Keys of `Patient.generalPractitioner` (treating physician): reference and identifier forms. */
export function treatingPhysicianKeys(patient: Patient | undefined): string[] {
  return (patient?.generalPractitioner ?? []).flatMap((ref) => actorReferenceKeys(ref));
}

/** INS keys of a Patient (`<system>|<value>` and the bare value, since tokens may carry the bare INS). */
export function insKeys(patient: Patient | undefined): string[] {
  const ids = (patient?.identifier ?? []).filter((i) => i.system && i.value && INS_SYSTEMS.includes(i.system));
  return ids.flatMap((i) => [`${i.system}|${i.value}`, i.value as string]);
}

async function syncConsent(tx: Statements, event: WriteEvent): Promise<void> {
  await tx.query(sql`DELETE FROM access_consent WHERE consent_id = ${event.id}`);
  const consent = event.resource as Consent | undefined;
  if (event.interaction === 'delete' || !consent) return;
  const patientId = consentPatientId(consent);
  if (!patientId) return;
  for (const rule of parseConsent(consent).rules) {
    const actorKey = 'actorKey' in rule ? (rule.actorKey ?? null) : null;
    const periodStart = 'periodStart' in rule ? (rule.periodStart ?? null) : null;
    const periodEnd = 'periodEnd' in rule ? (rule.periodEnd ?? null) : null;
    const purpose = rule.kind === 'refuse' ? rule.purpose : null;
    const docId = rule.kind === 'mask' ? rule.docId : null;
    await tx.query(sql`INSERT INTO access_consent (consent_id, patient_id, kind, actor_key, purpose, doc_id, period_start, period_end)
      VALUES (${event.id}, ${patientId}, ${rule.kind}, ${actorKey}, ${purpose}, ${docId}, ${periodStart}::timestamptz, ${periodEnd}::timestamptz)`);
  }
}

async function syncPatient(tx: Statements, event: WriteEvent): Promise<void> {
  const patient = event.resource as Patient | undefined;
  // A deleted Patient leaves a closed record behind: fail closed for everyone but the patient.
  const closed = event.interaction === 'delete' || patient?.active === false;
  await tx.query(sql`INSERT INTO access_record (patient_id, closed, ins, treating)
    VALUES (${event.id}, ${closed}, ${insKeys(patient)}::text[], ${treatingPhysicianKeys(patient)}::text[])
    ON CONFLICT (patient_id) DO UPDATE SET closed = EXCLUDED.closed, ins = EXCLUDED.ins, treating = EXCLUDED.treating`);
}

/** True when the RelatedPerson is a parent or legal guardian. */
export function isGuardianRelationship(person: RelatedPerson | undefined): boolean {
  return (person?.relationship ?? []).some((cc) => (cc.coding ?? []).some((c) => GUARDIAN_RELATIONSHIPS.includes(c.code ?? '')));
}

async function syncRelatedPerson(tx: Statements, event: WriteEvent): Promise<void> {
  const { rows: before } = await tx.query<{ patient_id: string }>(sql`DELETE FROM access_guardian WHERE related_person_id = ${event.id} RETURNING patient_id`);
  const person = event.resource as RelatedPerson | undefined;
  const m = /^Patient\/([^/]+)$/.exec(person?.patient?.reference ?? '');
  const kept = !(event.interaction === 'delete' || !person || person.active === false || !m || !isGuardianRelationship(person));
  if (kept) await tx.query(sql`INSERT INTO access_guardian (related_person_id, patient_id) VALUES (${event.id}, ${m[1]})`);
  // A guardian link that ends (deleted, made inactive, no longer a parent's, moved to another record, or its period
  // closed) ends the access tokens that guardian holds, in this transaction (issue 11, migration 235): his rights are
  // resolved afresh at each request, but a token would still be accepted and act for whatever is left.
  const ended = before.length > 0 && (!kept || before[0].patient_id !== m?.[1] || periodClosed(person, new Date()));
  if (ended) await tx.query(sql`SELECT token_cutoff_set(${`RelatedPerson/${event.id}`}, 'guardian link ended')`);
}

/** True when a RelatedPerson's period has an end that has passed, read as the guardian rules read it (`parisPeriodEndAt`). */
function periodClosed(person: RelatedPerson | undefined, now: Date): boolean {
  const end = person?.period?.end;
  return !!end && !(now.getTime() < parisPeriodEndAt(end));
}

/** Keeps the access tables in step with a Consent, Patient or RelatedPerson write, inside its transaction. */
export async function applyAccessWrite(tx: Statements, event: WriteEvent): Promise<void> {
  if (event.resourceType === 'Consent') await syncConsent(tx, event);
  else if (event.resourceType === 'Patient') await syncPatient(tx, event);
  else if (event.resourceType === 'RelatedPerson') await syncRelatedPerson(tx, event);
}
