import type { AccountNoticeRequest } from '../notify/account-notices';
import { badRequest, conflict, FhirError, locked } from '../fhir/errors';
import { parisTime } from '../notify/paris-time';
import { revokeCredentialsSetBefore } from '../store/majority-handover';
import type { Statements } from '../store/db';
import type { SystemRepository } from '../system/system-repository';
import { sql } from '../store/sql';
import { clearAccountAttempts, reserveAccountAttempt } from './account-attempts';
import { checkCode, findEnteredCode, lockCurrentCode, newPaperCode, storeCode, type AccountCodeRow } from './account-codes';
import { setPatientCredential } from './patient-login';
import { assertPasswordPolicy } from './password-policy';

/** Queues an account notice in the caller's transaction (production: the notification outbox). */
export type AccountNoticeSender = (tx: Statements, notice: AccountNoticeRequest) => Promise<boolean>;

/** An activation code lives 30 days: long enough to be received on paper and typed at home. */
export const ACTIVATION_TTL_MS = 30 * 24 * 3600 * 1000;
/** Five wrong codes lock the record's activation for an hour (a 12-character code is not guessable anyway). */
export const ACTIVATION_LIMIT = { maxFailures: 5, lockSeconds: 3600 };

const BAD_ACTIVATION = 'Le dossier ou le code d’activation est incorrect, expiré ou déjà utilisé.';

/**
 * Issues the activation code of a record just created, in its transaction: stored as a digest (valid 30 days),
 * sent to the patient's e-mail or mobile when the record has one. Returns the code, for a creator who prints it.
 */
export async function issueActivationCode(tx: Statements, input: { patientId: string; now: Date; send: AccountNoticeSender; renewed?: boolean; issuedBy: string }): Promise<{ code: string; expiresAt: Date }> {
  const code = newPaperCode();
  const id = await storeCode(tx, { purpose: 'activation', patientId: input.patientId, code, now: input.now, ttlMs: ACTIVATION_TTL_MS, issuedBy: input.issuedBy });
  const expiresAt = new Date(input.now.getTime() + ACTIVATION_TTL_MS);
  await input.send(tx, { kind: 'activation', key: id, patientId: input.patientId, facts: { at: input.now, code, until: expiresAt, renewed: input.renewed }, expiresAt });
  return { code, expiresAt };
}

/** The record an activation names: by id, or by INS when exactly one record carries it. */
async function findRecord(db: Statements, ref: { patient?: string; ins?: string }): Promise<string | undefined> {
  if (ref.patient) {
    const { rows } = await db.query<{ id: string }>(sql`SELECT id FROM resource WHERE type = 'Patient' AND id = ${ref.patient} AND NOT deleted`);
    return rows[0]?.id;
  }
  const { rows } = await db.query<{ patient_id: string }>(sql`SELECT patient_id FROM access_record WHERE ins && ${[ref.ins ?? '']}::text[] LIMIT 2`);
  return rows.length === 1 ? rows[0].patient_id : undefined;
}

function lockedError(until: Date, at: Date): FhirError {
  const err = locked(`Trop de codes d’activation erronés : réessayez après ${until.toISOString()}.`);
  return new FhirError(err.status, err.outcome, { 'Retry-After': String(Math.max(1, Math.ceil((until.getTime() - at.getTime()) / 1000))) });
}

/**
 * The answer to a holder who types an activation code already used (he holds the exact code: a guesser never gets it):
 * when, and what to do if it was not him. The code on paper is a bearer credential; whoever held it may have activated.
 */
function alreadyUsed(row: AccountCodeRow): FhirError {
  return conflict(`Ce code d’activation a déjà été utilisé, le ${parisTime(new Date(row.confirmed_at as string | Date))} (heure de Paris). ` +
    'Si ce n’était pas vous, rendez-vous dans un accueil de l’Assurance Maladie avec une pièce d’identité : un nouveau code d’activation vous y sera remis, ' +
    'qui remplace l’identifiant et le mot de passe choisis avec l’ancien, et vous pourrez y faire enregistrer vos coordonnées.');
}

/** Audit details of a successful activation: who issued the code used, and when (`issued_by`, migration 209). */
export interface ActivationDone {
  patientId: string;
  details: { type: string; valueString: string }[];
}

/** What `activate` needs: the record (id or INS), the code from the paper or the message, the chosen credential. */
export interface ActivationInput {
  patient?: string;
  ins?: string;
  code: string;
  identifier: string;
  password: string;
}

/**
 * Activation (issue 12): with the code issued at creation, the patient sets his sign-in identifier and password
 * (password policy enforced, 422, before anything is counted); the code is burnt. Unknown records and wrong codes
 * answer the same 400, and the same 423 after five failures per record (or per unknown key). The exact code of an
 * earlier activation answers 409 saying when it was used (only its holder can type it). The credential set replaces every
 * other identifier of the record (a code renewed at a counter takes the account back from whoever used an earlier one),
 * and the audit details name who issued the code used.
 */
export function createActivation(options: { system: SystemRepository; clock?: () => Date; scrypt?: { N: number; r: number; p: number } }) {
  const now = options.clock ?? (() => new Date());
  return async function activate(input: ActivationInput): Promise<ActivationDone> {
    assertPasswordPolicy(input.password, input.identifier);
    const at = now();
    const outcome = await options.system.transaction(async (tx): Promise<ActivationDone | { failure: FhirError }> => {
      const patientId = await findRecord(tx, input);
      const key = patientId ?? `unknown:${input.patient ?? `ins:${input.ins}`}`;
      const reservation = await reserveAccountAttempt(tx, 'activation', key, ACTIVATION_LIMIT, at);
      if (reservation.lockedUntil) return { failure: lockedError(reservation.lockedUntil, at) };
      const row = patientId ? await lockCurrentCode(tx, 'activation', { patientId }) : undefined;
      const check = row ? await checkCode(tx, row, input.code, { now: at, maxAttempts: Number.MAX_SAFE_INTEGER }) : 'wrong';
      if (check !== 'ok' || !row || !patientId) {
        const used = patientId ? await findEnteredCode(tx, 'activation', patientId, input.code) : undefined;
        return { failure: used ? alreadyUsed(used) : badRequest(BAD_ACTIVATION) };
      }
      // Same transaction: a refused identifier (409) rolls the burnt code and the counted attempt back.
      await setPatientCredential(tx, { login: input.identifier, patientId, password: input.password, now: at, scrypt: options.scrypt });
      // One account per record: identifiers set before with an earlier code (perhaps by whoever held it) end here.
      const revoked = await revokeCredentialsSetBefore(tx, patientId, at);
      await clearAccountAttempts(tx, 'activation', patientId);
      const details = [
        { type: 'code-issued-by', valueString: row.issued_by ?? 'inconnu' },
        { type: 'code-issued-at', valueString: new Date(row.created_at).toISOString() },
      ];
      if (revoked) details.push({ type: 'identifiers-replaced', valueString: String(revoked) });
      return { patientId, details };
    });
    if ('failure' in outcome) throw outcome.failure;
    return outcome;
  };
}
