import { badRequest, type FhirError } from '../fhir/errors';
import { sql } from '../store/sql';
import { checkCode, countCodesSince, lockCurrentCode, newNumericCode, storeCode } from './account-codes';
import type { AccountNoticeSender } from './activation';
import { credentialRecipients } from './credential-contacts';
import { loadPatients } from '../notify/outbox';
import { setPatientCredential } from './patient-login';
import { assertPasswordPolicy } from './password-policy';
import type { SystemRepository } from '../system/system-repository';

/** A reset code lives 15 minutes and burns after 3 wrong guesses; at most 3 are sent per identifier and hour. */
export const RESET_CODE_TTL_MS = 15 * 60_000;
export const RESET_MAX_CODE_ATTEMPTS = 3;
export const RESET_REQUESTS_PER_HOUR = 3;

// One answer for every failure (unknown identifier, no code, wrong, expired, used or burnt code): none tells whether
// the identifier exists.
const BAD_RESET_CODE = 'Le code de réinitialisation est incorrect, expiré ou déjà utilisé. Demandez un nouveau code si nécessaire.';

/**
 * Password reset (issue 12): `request` sends a code to the registered contact of a known identifier (at most 3 per
 * hour; only to a contact `credentialRecipients` allows) and says nothing of whether it exists; `confirm` sets the new password (policy enforced), burns the code,
 * clears the sign-in lock and tells the patient.
 */
/** What a reset request did, for the audit trail only (the caller's answer is the same 202 whatever it is). */
export interface ResetRequestOutcome {
  patientId?: string;
  outcome: 'sent' | 'unknown' | 'limited' | 'no-safe-contact';
}

export function createPasswordReset(options: { system: SystemRepository; send: AccountNoticeSender; clock?: () => Date; scrypt?: { N: number; r: number; p: number } }) {
  const now = options.clock ?? (() => new Date());

  async function request(identifier: string): Promise<ResetRequestOutcome> {
    const at = now();
    return options.system.transaction(async (tx): Promise<ResetRequestOutcome> => {
      // Serialises the requests of one identifier, so the hourly limit holds under parallel requests.
      const { rows } = await tx.query<{ patient_id: string }>(sql`SELECT patient_id FROM patient_credential WHERE login = ${identifier} FOR UPDATE`);
      const credential = rows[0];
      if (!credential) return { outcome: 'unknown' };
      const patientId = credential.patient_id;
      if ((await countCodesSince(tx, 'password-reset', { login: identifier }, new Date(at.getTime() - 3600_000))) >= RESET_REQUESTS_PER_HOUR) return { patientId, outcome: 'limited' };
      // Never to a (former) guardian's contact, nor, after a majority, to a contact the adult has not confirmed himself:
      // whoever holds the code sets the password. Nowhere safe: nothing is sent, and the answer is the same 202.
      const to = await credentialRecipients(tx, credential.patient_id, (await loadPatients(tx, [credential.patient_id])).get(credential.patient_id), at);
      if (to.length === 0) return { patientId, outcome: 'no-safe-contact' };
      const code = newNumericCode();
      const id = await storeCode(tx, { purpose: 'password-reset', patientId: credential.patient_id, login: identifier, code, now: at, ttlMs: RESET_CODE_TTL_MS });
      const expiresAt = new Date(at.getTime() + RESET_CODE_TTL_MS);
      await options.send(tx, { kind: 'password-reset', key: id, patientId: credential.patient_id, facts: { at, code, validMinutes: RESET_CODE_TTL_MS / 60_000 }, expiresAt, to });
      return { patientId, outcome: 'sent' };
    });
  }

  async function confirm(input: { identifier: string; code: string; password: string }): Promise<{ patientId: string }> {
    assertPasswordPolicy(input.password, input.identifier);
    const at = now();
    const outcome = await options.system.transaction(async (tx): Promise<{ patientId: string } | { failure: FhirError }> => {
      const row = await lockCurrentCode(tx, 'password-reset', { login: input.identifier });
      const check = row ? await checkCode(tx, row, input.code, { now: at, maxAttempts: RESET_MAX_CODE_ATTEMPTS }) : 'wrong';
      if (!row || check !== 'ok') return { failure: badRequest(BAD_RESET_CODE) };
      // setPatientCredential clears the identifier's sign-in failures and lock; it joins this transaction.
      await setPatientCredential(tx, { login: input.identifier, patientId: row.patient_id, password: input.password, now: at, scrypt: options.scrypt });
      await options.send(tx, { kind: 'password-changed', key: row.id, patientId: row.patient_id, facts: { at } });
      return { patientId: row.patient_id };
    });
    if ('failure' in outcome) throw outcome.failure;
    return outcome;
  }

  return { request, confirm };
}

export type PasswordReset = ReturnType<typeof createPasswordReset>;
