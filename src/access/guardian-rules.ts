import type { Patient, RelatedPerson } from '@medplum/fhirtypes';
import type { WriteEvent } from '../fhir/context';
import { forbidden, unprocessable } from '../fhir/errors';
import type { Statements } from '../store/db';
import { sql } from '../store/sql';
import type { DmpActor } from './actor';
import { isGuardianRelationship } from './access-tables';
import { wroteRow } from './provenance';
import { wasEverOpened } from './record-opening';
import { PARIS_TIME_ZONE, parisDay, parisMidnight, parisPeriodBoundAt, parisPeriodEndAt } from './paris-calendar';

/** Re-exported: the majority and its callers count days in Europe/Paris, as every access bound does. */
export { parisDay, parisMidnight };

/** Age of majority (French civil code, art. 414). */
export const MAJORITY_YEARS = 18;
/** The time zone the 18th birthday is counted in. */
export const MAJORITY_TIME_ZONE = PARIS_TIME_ZONE;

/**
 * True when a person born on `birthDate` (FHIR date: YYYY, YYYY-MM or YYYY-MM-DD) is under 18 at `at`, counted in
 * Europe/Paris: born 2008-12-07, he is an adult from 2026-12-07 00:00 Paris time. A partial date counts from its
 * earliest day (adult soonest); no or a malformed birth date is not a minor (fail closed).
 */
export function isMinorAt(birthDate: string | undefined | null, at: Date): boolean {
  const majority = majorityDate(birthDate);
  return !!majority && parisDay(at) < majority;
}

/**
 * The 18th birthday (YYYY-MM-DD, a calendar day in Europe/Paris) of a FHIR birth date; a partial date counts from
 * its earliest day. Undefined without a well-formed birth date.
 */
export function majorityDate(birthDate: string | undefined | null): string | undefined {
  const m = /^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$/.exec(birthDate ?? '');
  if (!m) return undefined;
  return `${String(Number(m[1]) + MAJORITY_YEARS).padStart(4, '0')}-${m[2] ?? '01'}-${m[3] ?? '01'}`;
}

const hasCode = (person: RelatedPerson | undefined, code: string): boolean =>
  (person?.relationship ?? []).some((cc) => (cc.coding ?? []).some((c) => c.code === code));

/**
 * A court protection measure (tutelle, curatelle renforcée, habilitation familiale): relationship `GUARD` with a
 * `period` that has an end (the judgment's term). It gives a guardian's rights whatever the patient's age, from
 * `period.start` (if any) until `period.end`.
 */
export function isCourtMeasure(person: RelatedPerson | undefined): boolean {
  return hasCode(person, 'GUARD') && !!person?.period?.end;
}

/**
 * Inside the RelatedPerson's `period` at `at` (no period: always). A date-only start begins at Paris midnight of that
 * day and a date-only end lasts through that day in Paris (it ended an hour or two late when read in UTC).
 */
function withinPeriod(person: RelatedPerson, at: Date): boolean {
  const start = person.period?.start;
  const end = person.period?.end;
  const t = at.getTime();
  if (start && !(parisPeriodBoundAt(start, 'start') <= t)) return false;
  if (end && !(t < parisPeriodEndAt(end))) return false;
  return true;
}

/**
 * True when the link, as written, is a court measure that would act for the patient as an adult: he is one already
 * (or has no birth date), or the measure runs past his 18th birthday (Europe/Paris). Unlike a parent's link, which
 * ends by itself at the majority, such a measure keeps the record's access beyond it.
 */
function actsForAdult(person: RelatedPerson, patient: Pick<Patient, 'birthDate'> | undefined, now: Date): boolean {
  if (person.active === false || !isCourtMeasure(person)) return false;
  const majority = majorityDate(patient?.birthDate);
  if (!majority || !isMinorAt(patient?.birthDate, now)) return true;
  const end = person.period?.end as string;
  // A date-only end is a calendar day: ending before the 18th birthday, it ends with the minority.
  if (/^\d{4}-\d{2}-\d{2}$/.test(end)) return end >= majority;
  return !(parisPeriodEndAt(end) <= parisMidnight(majority).getTime());
}

/**
 * An update that stays within the court measure already recorded (same record, a period no wider): a tutor's telecom,
 * or a term brought forward. Widening it, or turning a parent's link into a measure, is not.
 */
function withinMeasure(previous: RelatedPerson | undefined, next: RelatedPerson): boolean {
  if (!previous || previous.active === false || !isCourtMeasure(previous) || previous.patient?.reference !== next.patient?.reference) return false;
  const before = previous.period ?? {};
  const after = next.period ?? {};
  const startKept = !before.start || (!!after.start && parisPeriodBoundAt(after.start, 'start') >= parisPeriodBoundAt(before.start, 'start'));
  return startKept && parisPeriodEndAt(after.end as string) <= parisPeriodEndAt(before.end as string);
}

/** Why a court measure acting past the majority is refused to a parent, a guardian or the professional opening a minor's record. */
export const COURT_MEASURE_BY_PROCEDURE =
  'Une mesure de protection judiciaire qui vaut pour le titulaire majeur (relationship GUARD avec une fin de période, au-delà de ses 18 ans) ' +
  's’enregistre, ou se prolonge, par la procédure d’identité vérifiée, sur présentation du jugement, ou par le titulaire majeur lui-même : ' +
  'ni un parent ou représentant légal, ni le professionnel qui ouvre le dossier d’un mineur ne peut l’enregistrer.';

/**
 * Whether a guardian link gives rights at `at` (issue 12): the RelatedPerson is a parent or legal guardian, within
 * its period, and the patient is a minor or a court measure is recorded (`isCourtMeasure`).
 */
export function guardianLinkValid(person: RelatedPerson | undefined, patient: Pick<Patient, 'birthDate'> | undefined, at: Date): boolean {
  if (!person || person.active === false || !isGuardianRelationship(person) || !withinPeriod(person, at)) return false;
  return isMinorAt(patient?.birthDate, at) || isCourtMeasure(person);
}

/**
 * The instant (epoch ms, exclusive) from which a guardian link gives no right by time alone: the end of its `period`
 * (`parisPeriodEndAt`), and for a link that is not a court measure the patient's 18th birthday (Paris midnight),
 * whichever comes first (every link has one: a court measure has a term, any other ends at the majority). A link that
 * gives no right whatever the instant (not
 * a parent's or guardian's, inactive, a non-measure link of a patient with no birth date, an unreadable end) ends at
 * -Infinity. For every instant from its start, `guardianLinkValid(person, patient, at)` is `at < guardianLinkEndAt(…)`:
 * the token verifier refuses a guardian token from that instant on (issue 11), as the rules already give it nothing.
 */
export function guardianLinkEndAt(person: RelatedPerson | undefined, patient: Pick<Patient, 'birthDate'> | undefined): number {
  if (!person || person.active === false || !isGuardianRelationship(person)) return -Infinity;
  const ends: number[] = [];
  const end = person.period?.end;
  if (end) ends.push(parisPeriodEndAt(end));
  if (!isCourtMeasure(person)) {
    const majority = majorityDate(patient?.birthDate);
    ends.push(majority ? parisMidnight(majority).getTime() : -Infinity);
  }
  if (ends.some((t) => Number.isNaN(t))) return -Infinity;
  return Math.min(...ends);
}

/** The current Patient of a record, read in the caller's transaction (undefined when missing or deleted). */
export async function loadPatient(tx: Statements, patientId: string): Promise<Patient | undefined> {
  const { rows } = await tx.query<{ text: string | null }>(sql`SELECT text FROM resource WHERE type = 'Patient' AND id = ${patientId} AND NOT deleted`);
  return rows[0]?.text ? (JSON.parse(rows[0].text) as Patient) : undefined;
}

export interface GuardianWriteContext {
  /** The request's instant. */
  now: Date;
  /** Patients created earlier in the same request (a transaction Bundle opening a minor's record). */
  patientsCreatedInRequest?: readonly string[];
}

/**
 * Who may make or keep a guardian link (issue 12 rule 2), on a RelatedPerson create/update whose new version is a
 * parent or legal guardian: the patient himself, an existing valid guardian of the same patient, an
 * identity-verified procedure (practitioner with role `identity-verifier`), or a practitioner opening a minor's
 * record (no opening consent yet, or the Patient created in the same request). Never an ordinary authorised
 * professional (403), never for an adult without a court measure (422).
 */
export async function assertGuardianWrite(tx: Statements, actor: DmpActor, event: WriteEvent, context: GuardianWriteContext): Promise<void> {
  if (event.resourceType !== 'RelatedPerson' || event.interaction === 'delete') return;
  const person = event.resource as RelatedPerson | undefined;
  if (!person || person.active === false || !isGuardianRelationship(person)) return;
  const patientId = /^Patient\/([^/]+)$/.exec(person.patient?.reference ?? '')?.[1] ?? event.compartment ?? '';
  const patient = await loadPatient(tx, patientId);
  const minor = isMinorAt(patient?.birthDate, context.now);
  const owner = (actor.kind === 'patient' || actor.kind === 'guardian') && actor.patientIds.includes(patientId);
  const verifier = actor.kind === 'practitioner' && actor.role === 'identity-verifier';
  // Opening: by the professional who created the Patient — in this request, or earlier on a record never opened. A
  // record whose opening the patient (or his parent) withdrew is not being opened: any professional could otherwise
  // name a stranger as its "parent".
  const opening = minor && actor.kind === 'practitioner' && (await opensRecordWithPatient(tx, actor, patientId, await wasEverOpened(tx, patientId), context));
  if (!owner && !verifier && !opening) {
    throw forbidden('Only the patient, his legal guardian, the professional opening a minor\'s record or the identity procedure may record a parent or legal guardian');
  }
  // A parent's rights end at the majority by themselves; a court measure keeps them past it. Only the judgment, checked
  // by the identity-verified procedure, or the adult holder himself, records one (or moves its term).
  const adultHolder = actor.kind === 'patient' && owner && !minor;
  if (actsForAdult(person, patient, context.now) && !verifier && !adultHolder && !withinMeasure(event.previous as RelatedPerson | undefined, person)) {
    throw forbidden(COURT_MEASURE_BY_PROCEDURE);
  }
  if (!minor && !isCourtMeasure(person)) {
    throw unprocessable(`Le patient Patient/${patientId} est majeur (ou sans date de naissance) : un parent ou représentant légal n'agit pour lui que sous une mesure de protection judiciaire (relationship GUARD avec une period qui se termine)`);
  }
}

/**
 * Whether this writer is opening the record with the patient: it created the Patient in this request, or created it
 * earlier (`access_writer`) and the record has never been opened (`everOpened`). Asked for the opening consent (a
 * professional or an Assurance Maladie office) and for a minor's parent recorded at opening (a professional); the
 * callers decide which actor kinds may ask.
 */
export async function opensRecordWithPatient(tx: Statements, actor: DmpActor, patientId: string, everOpened: boolean, context: GuardianWriteContext): Promise<boolean> {
  if ((context.patientsCreatedInRequest ?? []).includes(patientId)) return true;
  return !everOpened && (await wroteRow(tx, actor, 'Patient', patientId));
}
