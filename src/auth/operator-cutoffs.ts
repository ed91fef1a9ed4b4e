import { IDNAT_PS_SYSTEM, professionalPerson, type DmpActorKind } from '../access/actor';
import type { Statements } from '../store/db';
import { sql } from '../store/sql';

/**
 * The operator's cut-off (issue 11, revoking tokens we did not issue): a professional's card or session stolen, a
 * feeder's client secret leaked, a patient's phone lost. The identity providers that issued those tokens revoke them at
 * home, but a token already handed out stays valid here until it expires. The operator ends, at once and on every
 * server, every token naming one actor issued until now (`npm run tokens:cut`), whatever its issuer: the same
 * `token_cutoff` table (migration 235) that our own events write, under a subject of its own per actor, read by the
 * verifier for every token that is not one of ours. A new token issued after the cut-off works: the cut-off ends
 * sessions, it does not ban a person (the consent rules and the issuers' own `mints` decide who may act).
 */
export const OPERATOR_SUBJECT_PREFIX = 'Operator/';

/**
 * The subject of an actor's operator cut-off: a professional is one person however his token spells his national
 * identifier (RPPS or IdNat_PS `8` + RPPS, `professionalPerson`), so a cut-off written for one spelling ends the other's.
 */
export function operatorSubject(kind: DmpActorKind, id: string): string {
  const who = kind === 'practitioner' ? professionalPerson(IDNAT_PS_SYSTEM, id) : id;
  return `${OPERATOR_SUBJECT_PREFIX}${kind}/${who}`;
}

/**
 * The subjects a cut-off for this actor writes: his operator subject, and for a patient or a guardian also the subject
 * our own sign-in and SMART tokens are ended by (`cutoffSubjects`), so one command ends all his sessions.
 */
export function operatorCutoffSubjects(kind: DmpActorKind, id: string): string[] {
  const subjects = [operatorSubject(kind, id)];
  if (kind === 'patient') subjects.push(`Patient/${id}`);
  if (kind === 'guardian') subjects.push(`RelatedPerson/${id}`);
  return subjects;
}

/** Writes the cut-offs in one transaction; returns the instant (the database's) from which new tokens work again. */
export async function cutOffActorTokens(tx: Pick<Statements, 'query'>, kind: DmpActorKind, id: string, reason: string): Promise<{ subjects: string[]; at: Date }> {
  const subjects = operatorCutoffSubjects(kind, id);
  for (const subject of subjects) await tx.query(sql`SELECT token_cutoff_set(${subject}, ${reason})`);
  const { rows } = await tx.query<{ at: Date | string }>(sql`SELECT max(cut_at) AS at FROM token_cutoff WHERE subject = ANY(${subjects}::text[])`);
  return { subjects, at: new Date(rows[0].at) };
}
