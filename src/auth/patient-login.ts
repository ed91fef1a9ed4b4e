import { createHash, randomInt, randomUUID } from 'node:crypto';
import { refusedFor } from './refused-account';
import { conflict, FhirError, locked, tooManyRequests, unauthorized, unprocessable } from '../fhir/errors';
import type { Statements, Transactions } from '../store/db';
import type { SystemRepository } from '../system/system-repository';
import { sql } from '../store/sql';
import type { LoginConfig } from './auth-config';
import { signInDestination } from './credential-contacts';
import { assertCredentialSetAfterMajority } from './credential-majority';
import { clearAttempts, isRefusal, releaseAttempt, reserveAttempt } from './login-attempts';
import { hashPassword, verifyPassword } from './password-hash';
import { assertPasswordPolicy } from './password-policy';
import { holderWords } from './holder-words';
import type { Patient } from '@medplum/fhirtypes';

/** A one-time code to deliver to the patient (e-mail or SMS of the record's telecom). */
export interface LoginCodeMessage {
  attemptId: string;
  patientId: string;
  code: string;
  now: Date;
  validMinutes: number;
  /** Where it goes (`signInDestination`); a sender without it picks the record's preferred contact. */
  to?: { channel: 'email' | 'sms'; address: string };
}

/**
 * Queues the code in the caller's transaction; false when the patient has nowhere to receive it. The
 * production sender is the notification outbox (`queueLoginCode` of src/notify).
 */
export type LoginCodeSender = (tx: Statements, message: LoginCodeMessage) => Promise<boolean>;

/** Signs the short-lived patient access token once the code is verified. */
export type PatientTokenIssuer = (patientId: string) => Promise<string>;

export interface PatientLoginOptions {
  /** Sign-in is system work (no actor yet): the named unscoped repository, never a raw connection. */
  system: SystemRepository;
  config: LoginConfig;
  sendCode: LoginCodeSender;
  issueToken: PatientTokenIssuer;
  clock?: () => Date;
  /** Checks a password against a stored hash (default: scrypt); a test seam to count the passwords checked. */
  verifyPassword?: (password: string, hash: string) => Promise<boolean>;
}

interface CredentialRow {
  patient_id: string;
  password_hash: string;
}

interface ChallengeRow {
  id: string;
  login: string;
  patient_id: string;
  code_digest: string;
  expires_at: Date | string;
  used_at: Date | string | null;
  attempts: number;
}

// Patients read these, in French. One answer for an unknown identifier and a wrong password: the response must
// not tell which. Locks are counted per identifier, known or not (login-attempts.ts), so the 423 does not tell either.
const BAD_CREDENTIALS = 'L’identifiant ou le mot de passe est incorrect.';
const BAD_CODE = 'Le code de connexion est incorrect, expiré ou déjà utilisé.';
const NO_CONTACT = 'Aucune adresse e-mail ni aucun numéro de mobile n’est enregistré dans votre dossier : le code de connexion ne peut pas être envoyé.';
// Told only after the right password (like NO_CONTACT): the young adult's way out when the record's contact is a parent's.
export const NO_OWN_CONTACT =
  'Depuis vos 18 ans, le code de connexion n’est envoyé qu’à une adresse e-mail ou un numéro de mobile que vous avez vous-même confirmé : ' +
  'votre dossier n’en a pas encore. Rendez-vous à un guichet de l’Assurance Maladie, muni d’une pièce d’identité, pour faire enregistrer ' +
  'votre propre adresse e-mail ou numéro de mobile.';

// Told only after the right password: the record's only contacts are a parent's or legal guardian's.
export const GUARDIAN_CONTACT =
  'Le code de connexion n’est pas envoyé à l’adresse e-mail ou au numéro de mobile d’un représentant légal, et votre dossier n’en a pas ' +
  'd’autre : un représentant légal accède au dossier avec son propre compte, jamais avec le vôtre. Pour recevoir vous-même vos codes, ' +
  'faites enregistrer votre propre adresse e-mail ou numéro de mobile à un guichet de l’Assurance Maladie, muni d’une pièce d’identité.';

const digest = (challengeId: string, code: string): string => createHash('sha256').update(`${challengeId}:${code}`).digest('hex');

function lockedError(until: Date, at: Date): FhirError {
  const seconds = Math.max(1, Math.ceil((until.getTime() - at.getTime()) / 1000));
  const err = locked(`Cet identifiant est bloqué après plusieurs tentatives de connexion échouées. Réessayez après ${until.toISOString()}.`);
  return new FhirError(err.status, err.outcome, { 'Retry-After': String(seconds) });
}

/**
 * Sets (or replaces) the password of a login identifier for a patient after checking it against the password
 * policy (422); clears the identifier's failures. 409 when another record holds the identifier.
 */
export async function setPatientCredential(db: Statements | (Statements & Transactions), input: { login: string; patientId: string; password: string; now?: Date; scrypt?: { N: number; r: number; p: number } }): Promise<void> {
  // Checked against the holder's own words here, where the record is known (activation and reset check the rest of the
  // policy before anything is counted; a refusal here rolls their transaction back, the code kept).
  const { rows: holder } = await db.query<{ text: string | null }>(sql`SELECT text FROM resource WHERE type = 'Patient' AND id = ${input.patientId} AND NOT deleted`);
  assertPasswordPolicy(input.password, input.login, holderWords(holder[0]?.text ? (JSON.parse(holder[0].text) as Patient) : undefined));
  const hash = await hashPassword(input.password, input.scrypt);
  const now = (input.now ?? new Date()).toISOString();
  // Inside a caller's transaction (activation, reset: statements only) the writes join it; otherwise they get their own.
  const inTransaction = <T>(fn: (tx: Statements) => Promise<T>): Promise<T> => ('transaction' in db ? db.transaction(fn) : fn(db));
  const stored = await inTransaction(async (tx) => {
    const result = await tx.query(sql`INSERT INTO patient_credential (login, patient_id, password_hash, updated_at)
      VALUES (${input.login}, ${input.patientId}, ${hash}, ${now}::timestamptz)
      ON CONFLICT (login) DO UPDATE SET password_hash = EXCLUDED.password_hash, updated_at = EXCLUDED.updated_at
      WHERE patient_credential.patient_id = EXCLUDED.patient_id`);
    // Only the identifier's owner clears its lock: a 409 must not unlock someone else's identifier.
    if (result.rowCount > 0) await clearAttempts(tx, input.login);
    return result.rowCount > 0;
  });
  if (!stored) throw conflict('Cet identifiant est déjà utilisé par un autre dossier : choisissez-en un autre.');
}

/**
 * The patient sign-in flow (DESIGN §1: identifier, password, then a one-time code by SMS or e-mail):
 * `start` checks the password and sends a code; `exchange` turns a valid code into an access token. Codes
 * expire, are single use and burn after a few wrong guesses; consecutive failures lock the account (423).
 */
export function createPatientLogin(options: PatientLoginOptions) {
  const { system, config } = options;
  const now = options.clock ?? (() => new Date());
  const checkPassword = options.verifyPassword ?? verifyPassword;
  let dummyHash: Promise<string> | undefined;

  async function start(login: string, password: string): Promise<{ challenge: string; expiresAt: string }> {
    const at = now();
    // The attempt is counted before the (slow) password check and committed at once: parallel guesses see it.
    const reservation = await reserveAttempt(system, config, login, at);
    if (isRefusal(reservation)) throw lockedError(reservation.locked, at);
    const { rows } = await system.query<CredentialRow>(sql`SELECT patient_id, password_hash FROM patient_credential WHERE login = ${login}`);
    const credential = rows[0];
    // An unknown identifier costs the same work as a wrong password (a dummy hash), and is a failure whatever it says.
    const hash = credential?.password_hash ?? (await (dummyHash ??= hashPassword('not a password')));
    const verified = await checkPassword(password, hash);
    if (!credential || !verified) {
      if (reservation.lockedUntil) throw refusedFor(lockedError(reservation.lockedUntil, at), credential?.patient_id);
      throw refusedFor(unauthorized(BAD_CREDENTIALS, 'Basic realm="dmp-patient"'), credential?.patient_id);
    }
    await releaseAttempt(system, reservation);
    // The right password, but set while the holder was a minor (maybe by a parent): refused once he is 18.
    await assertCredentialSetAfterMajority(system, login, at);
    const id = randomUUID();
    const code = String(randomInt(0, 1_000_000)).padStart(6, '0');
    const expiresAt = new Date(at.getTime() + config.codeTtl * 1000);
    const sent = await system.transaction(async (tx) => {
      // Never to a parent's or guardian's contact; for an adult who had some, only to one he confirmed (credential-contacts.ts).
      const destination = await signInDestination(tx, credential.patient_id, at);
      if ('refused' in destination) return destination.refused;
      await tx.query(sql`INSERT INTO login_challenge (id, login, patient_id, code_digest, created_at, expires_at)
        VALUES (${id}, ${login}, ${credential.patient_id}, ${digest(id, code)}, ${at.toISOString()}::timestamptz, ${expiresAt.toISOString()}::timestamptz)`);
      const queued = await options.sendCode(tx, { attemptId: id, patientId: credential.patient_id, code, now: at, validMinutes: Math.ceil(config.codeTtl / 60), to: destination.to });
      return queued ? 'sent' : 'no-contact';
    });
    if (sent === 'no-own-contact') throw unprocessable(NO_OWN_CONTACT);
    if (sent === 'guardian-contact') throw unprocessable(GUARDIAN_CONTACT);
    if (sent !== 'sent') throw unprocessable(NO_CONTACT);
    return { challenge: id, expiresAt: expiresAt.toISOString() };
  }

  /**
   * Checks a one-time code and burns it: the patient it signs in, or the refusal (401, 423, 429). The SMART
   * authorization pages call this; `exchange` adds the sign-in access token.
   */
  async function verify(challengeId: string, code: string): Promise<{ patientId: string }> {
    const at = now();
    // A wrong code must still count: the transaction commits the counters and returns the error to raise.
    const outcome = await system.transaction(async (tx): Promise<{ patientId: string } | { failure: FhirError }> => {
      const { rows } = await tx.query<ChallengeRow>(sql`SELECT * FROM login_challenge WHERE id = ${challengeId} FOR UPDATE`);
      const challenge = rows[0];
      if (!challenge) return { failure: unauthorized(BAD_CODE, 'Basic realm="dmp-patient"') };
      // Reserved before the code is compared, like a password: parallel wrong codes cannot pass the limit.
      const reservation = await reserveAttempt(tx, config, challenge.login, at);
      if (isRefusal(reservation)) return { failure: refusedFor(lockedError(reservation.locked, at), challenge.patient_id) };
      if (challenge.attempts >= config.maxCodeAttempts) {
        await releaseAttempt(tx, reservation); // nothing was compared: a burnt code is not a guess
        return { failure: tooManyRequests('Trop de codes erronés pour cette connexion : recommencez la connexion (POST /auth/login) pour recevoir un nouveau code.') };
      }
      const valid = !challenge.used_at && new Date(challenge.expires_at) > at && digest(challenge.id, code) === challenge.code_digest;
      if (!valid) {
        await tx.query(sql`UPDATE login_challenge SET attempts = attempts + 1 WHERE id = ${challenge.id}`);
        return { failure: refusedFor(reservation.lockedUntil ? lockedError(reservation.lockedUntil, at) : unauthorized(BAD_CODE, 'Basic realm="dmp-patient"'), challenge.patient_id) };
      }
      await tx.query(sql`UPDATE login_challenge SET used_at = ${at.toISOString()}::timestamptz WHERE id = ${challenge.id}`);
      // A code asked for just before the 18th birthday does not sign in after it with credentials set before it.
      const refused = await assertCredentialSetAfterMajority(tx, challenge.login, at).then(() => undefined, (err: unknown) => err);
      if (refused instanceof FhirError) return { failure: refused };
      if (refused) throw refused;
      await clearAttempts(tx, challenge.login);
      return { patientId: challenge.patient_id };
    });
    if ('failure' in outcome) throw outcome.failure;
    return outcome;
  }

  async function exchange(challengeId: string, code: string): Promise<{ accessToken: string; expiresIn: number; patient: string }> {
    const { patientId } = await verify(challengeId, code);
    return { accessToken: await options.issueToken(patientId), expiresIn: config.tokenTtl, patient: patientId };
  }

  return { start, verify, exchange };
}

export type PatientLogin = ReturnType<typeof createPatientLogin>;
