import { createHash, randomInt, randomUUID } from 'node:crypto';
import type { Statements } from '../store/db';
import { advisoryLock } from '../store/locks';
import { sql } from '../store/sql';

/** What a one-time account code is for (migration 151). */
export type CodePurpose = 'activation' | 'password-reset' | 'contact-change';

/** A stored code: its digest only, never the code. */
export interface AccountCodeRow {
  id: string;
  purpose: CodePurpose;
  patient_id: string;
  login: string | null;
  contact_system: string | null;
  contact_value: string | null;
  code_digest: string;
  created_at: Date | string;
  expires_at: Date | string;
  /** No longer usable: entered, or retired when a newer code of the same purpose was asked. */
  used_at: Date | string | null;
  /** Entered correctly (or confirmed in person): never set on a retired code (migration 200). */
  confirmed_at: Date | string | null;
  /** Asked or entered by a legal guardian rather than the holder (migration 200). */
  by_guardian: boolean;
  /** Who issued it (`codeIssuer`: the opening professional, a counter, the server), when known (migration 209). */
  issued_by: string | null;
  attempts: number;
}

/** Why a code was not accepted: wrong (counted), expired, or burnt by too many wrong guesses. */
export type CodeCheck = 'ok' | 'wrong' | 'expired' | 'burnt';

// No 0/O, 1/I/L: an activation code is typed from paper.
const PAPER_ALPHABET = 'ABCDEFGHJKMNPQRSTUVWXYZ23456789';

/** A 6-digit code (sent by e-mail or SMS, typed within minutes). */
export function newNumericCode(): string {
  return String(randomInt(0, 1_000_000)).padStart(6, '0');
}

/** A 12-character code from an unambiguous alphabet (~59 bits), grouped by 4 (`ABCD-EFGH-JKMN`) to be printed. */
export function newPaperCode(): string {
  const chars = Array.from({ length: 12 }, () => PAPER_ALPHABET[randomInt(0, PAPER_ALPHABET.length)]);
  return [0, 4, 8].map((i) => chars.slice(i, i + 4).join('')).join('-');
}

/** The code as compared: upper case, without spaces or dashes (as typed from paper or a message). */
export function normaliseCode(code: string): string {
  return code.toUpperCase().replace(/[\s-]/g, '');
}

const digest = (id: string, code: string): string => createHash('sha256').update(`${id}:${normaliseCode(code)}`).digest('hex');

/**
 * Stores a new code in the caller's transaction and retires the unused codes of the same purpose for the same
 * record (or identifier): only the latest code sent works. Retiring sets `used_at` only, never `confirmed_at`: a
 * superseded request was not confirmed. Returns the code's id.
 */
export async function storeCode(
  tx: Statements,
  input: { purpose: CodePurpose; patientId: string; login?: string; contact?: { system: string; value: string }; code: string; now: Date; ttlMs: number; byGuardian?: boolean; issuedBy?: string },
): Promise<string> {
  const id = randomUUID();
  const now = input.now.toISOString();
  const sameScope = input.login !== undefined ? sql`login = ${input.login}` : sql`patient_id = ${input.patientId}`;
  await tx.query(sql`UPDATE account_code SET used_at = ${now}::timestamptz WHERE purpose = ${input.purpose} AND ${sameScope} AND used_at IS NULL`);
  await tx.query(sql`INSERT INTO account_code (id, purpose, patient_id, login, contact_system, contact_value, code_digest, created_at, expires_at, by_guardian, issued_by)
    VALUES (${id}, ${input.purpose}, ${input.patientId}, ${input.login ?? null}, ${input.contact?.system ?? null}, ${input.contact?.value ?? null},
      ${digest(id, input.code)}, ${now}::timestamptz, ${new Date(input.now.getTime() + input.ttlMs).toISOString()}::timestamptz, ${input.byGuardian === true}, ${input.issuedBy ?? null})`);
  return id;
}

/**
 * Retires, in the caller's transaction, the unused codes of a purpose for a record (they stop working; `confirmed_at`
 * stays empty): a code that may have reached the wrong person. Returns how many.
 */
export async function retireUnusedCodes(tx: Statements, input: { purpose: CodePurpose; patientId: string; now: Date }): Promise<number> {
  return (await tx.query(sql`UPDATE account_code SET used_at = ${input.now.toISOString()}::timestamptz
    WHERE purpose = ${input.purpose} AND patient_id = ${input.patientId} AND used_at IS NULL`)).rowCount;
}

/** The latest unused code of a purpose for a record or an identifier, locked for the caller's transaction. */
export async function lockCurrentCode(tx: Statements, purpose: CodePurpose, where: { patientId: string } | { login: string }): Promise<AccountCodeRow | undefined> {
  const scope = 'login' in where ? sql`login = ${where.login}` : sql`patient_id = ${where.patientId}`;
  const { rows } = await tx.query<AccountCodeRow>(sql`SELECT * FROM account_code WHERE purpose = ${purpose} AND ${scope} AND used_at IS NULL
    ORDER BY created_at DESC, id LIMIT 1 FOR UPDATE`);
  return rows[0];
}

/**
 * Compares a code with a locked row: a right code is burnt (single use); a wrong one counts, and the code no longer
 * works after `maxAttempts` wrong guesses (nothing is compared then); an expired code is never compared.
 */
export async function checkCode(tx: Statements, row: AccountCodeRow, code: string, options: { now: Date; maxAttempts: number }): Promise<CodeCheck> {
  if (row.attempts >= options.maxAttempts) return 'burnt';
  if (new Date(row.expires_at) <= options.now) return 'expired';
  if (digest(row.id, code) !== row.code_digest) {
    await tx.query(sql`UPDATE account_code SET attempts = attempts + 1 WHERE id = ${row.id}`);
    return 'wrong';
  }
  const at = options.now.toISOString();
  await tx.query(sql`UPDATE account_code SET used_at = ${at}::timestamptz, confirmed_at = ${at}::timestamptz WHERE id = ${row.id}`);
  return 'ok';
}

/**
 * The code of a purpose for a record that was entered correctly before and is exactly this one, or undefined. Only a
 * holder of the exact code learns it was used (a guesser's wrong code matches nothing): the latest 20 are compared.
 */
export async function findEnteredCode(tx: Statements, purpose: CodePurpose, patientId: string, code: string): Promise<AccountCodeRow | undefined> {
  const { rows } = await tx.query<AccountCodeRow>(sql`SELECT * FROM account_code WHERE purpose = ${purpose} AND patient_id = ${patientId}
    AND confirmed_at IS NOT NULL ORDER BY confirmed_at DESC LIMIT 20`);
  return rows.find((row) => digest(row.id, code) === row.code_digest);
}

/** Marks a code as entered by a legal guardian (the holder did not prove that he reads its contact). */
export async function markEnteredByGuardian(tx: Statements, id: string): Promise<void> {
  await tx.query(sql`UPDATE account_code SET by_guardian = true WHERE id = ${id}`);
}

/**
 * How many codes of a purpose were issued for a record or identifier since an instant (request rate limits), counted
 * under a lock of that scope held until the caller's transaction ends: parallel requests then count one after the
 * other, each seeing the codes the others stored. Without it, forty parallel `$change-contact` requests sent five codes
 * to addresses of the caller's choosing in one hour, not three (attack sweep 6b).
 */
export async function countCodesSince(tx: Statements, purpose: CodePurpose, where: { patientId: string } | { login: string }, since: Date): Promise<number> {
  await advisoryLock(tx, `account-code-requests:${purpose}:${'login' in where ? `login:${where.login}` : `patient:${where.patientId}`}`);
  const scope = 'login' in where ? sql`login = ${where.login}` : sql`patient_id = ${where.patientId}`;
  // A contact recorded as confirmed without a code (`storeConfirmedContact`: expires as it is created) sent nothing.
  const { rows } = await tx.query<{ n: number }>(sql`SELECT count(*)::int AS n FROM account_code
    WHERE purpose = ${purpose} AND ${scope} AND created_at > ${since.toISOString()}::timestamptz AND expires_at > created_at`);
  return rows[0].n;
}

/**
 * Records a contact confirmed in person (the Assurance Maladie counter, identity papers checked) with the marker a
 * confirmed `$change-contact` code leaves: a `contact-change` row with `confirmed_at` (`store/credential-contacts.ts`
 * reads them). Its code is random and never told to anyone. Pending change requests are left alone: the patient may
 * still confirm the one he asked.
 */
export async function storeConfirmedContact(tx: Statements, input: { patientId: string; contact: { system: 'email' | 'sms'; value: string }; now: Date }): Promise<string> {
  const id = randomUUID();
  const now = input.now.toISOString();
  await tx.query(sql`INSERT INTO account_code (id, purpose, patient_id, contact_system, contact_value, code_digest, created_at, expires_at, used_at, confirmed_at)
    VALUES (${id}, 'contact-change', ${input.patientId}, ${input.contact.system}, ${input.contact.value}, ${digest(id, randomUUID())},
      ${now}::timestamptz, ${now}::timestamptz, ${now}::timestamptz, ${now}::timestamptz)`);
  return id;
}
