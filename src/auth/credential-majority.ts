import type { Patient } from '@medplum/fhirtypes';
import { majorityDate, parisMidnight } from '../access/guardian-rules';
import { forbidden } from '../fhir/errors';
import type { Statements } from '../store/db';
import { sql } from '../store/sql';

// Patients read it, in French: why the password no longer works and how to get credentials of their own.
export const SET_BEFORE_MAJORITY =
  'Ce mot de passe a été enregistré avant vos 18 ans : depuis votre majorité, il ne permet plus d’accéder à votre dossier médical partagé. ' +
  'Activez votre compte avec le code d’activation qui vous a été envoyé à votre majorité (ou demandez un nouveau code à un guichet de ' +
  'l’Assurance Maladie, muni d’une pièce d’identité), puis choisissez votre propre identifiant et votre mot de passe.';

/**
 * Refuses (403) a sign-in identifier whose password was set before the record holder's 18th birthday (Europe/Paris)
 * once that birthday has passed. Set while he was a minor, possibly by a parent, such credentials end with the parent's
 * rights: the majority hand-over job deletes them, but it runs hourly, and until then the parent could still sign in as
 * the young adult. Checked at sign-in itself, so the job is no longer the only guard. A credential set (activation,
 * reset, new password) on or after the birthday passes. No birth date: nothing to compare, the credential passes.
 */
export async function assertCredentialSetAfterMajority(db: Statements, login: string, at: Date): Promise<void> {
  const { rows } = await db.query<{ updated_at: Date | string; text: string | null }>(sql`SELECT c.updated_at, p.text FROM patient_credential c
    JOIN resource p ON p.type = 'Patient' AND p.id = c.patient_id AND NOT p.deleted WHERE c.login = ${login}`);
  const row = rows[0];
  if (!row?.text) return;
  const majorityOn = majorityDate((JSON.parse(row.text) as Patient).birthDate);
  if (!majorityOn) return;
  const majority = parisMidnight(majorityOn);
  if (at >= majority && new Date(row.updated_at) < majority) throw forbidden(SET_BEFORE_MAJORITY);
}
