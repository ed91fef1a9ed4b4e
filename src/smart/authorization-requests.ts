import { timingSafeEqual } from 'node:crypto';
import type { Statements, Transactions } from '../store/db';
import { sql } from '../store/sql';
import { digestOf, newSecret } from './secrets';
import type { GrantSubject } from './subject';

export type AuthorizeStage = 'login' | 'code' | 'record' | 'consent';

/** An authorization request between GET /auth/authorize and the redirect back to the app. */
export interface PendingAuthorization {
  id: string;
  clientId: string;
  redirectUri: string;
  scope: string[];
  state: string;
  codeChallenge: string;
  nonce?: string;
  stage: AuthorizeStage;
  challengeId?: string;
  patientId?: string;
  subject?: GrantSubject;
  /** The sign-in session the person is signed in with (opened by this request's code step, or reused). */
  signInSession?: string;
  /** When he typed his password and code (OpenID Connect auth_time). */
  authTime?: Date;
}

interface Row {
  id: string;
  browser_digest: string;
  csrf_digest: string;
  client_id: string;
  redirect_uri: string;
  scope: string;
  state: string;
  code_challenge: string;
  nonce: string | null;
  stage: AuthorizeStage;
  challenge_id: string | null;
  patient_id: string | null;
  subject: GrantSubject | string | null;
  expires_at: Date | string;
  sign_in_session: string | null;
  auth_time: Date | string | null;
}

const same = (a: string, b: string): boolean => a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));

/** Opens a request; returns its id, the browser secret (cookie) and the CSRF token (forms). */
export async function openAuthorization(db: Statements, p: Omit<PendingAuthorization, 'id' | 'stage' | 'signInSession' | 'authTime'>, o: { now: Date; ttl: number }): Promise<{ id: string; browser: string; csrf: string }> {
  const id = newSecret(16);
  const browser = newSecret();
  const csrf = newSecret();
  await db.query(sql`DELETE FROM smart_authorization WHERE expires_at < ${o.now.toISOString()}::timestamptz`);
  await db.query(sql`INSERT INTO smart_authorization (id, browser_digest, csrf_digest, client_id, redirect_uri, scope, state, code_challenge, nonce, stage, created_at, expires_at)
    VALUES (${id}, ${digestOf(browser)}, ${digestOf(csrf)}, ${p.clientId}, ${p.redirectUri}, ${p.scope.join(' ')}, ${p.state}, ${p.codeChallenge}, ${p.nonce ?? null},
      'login', ${o.now.toISOString()}::timestamptz, ${new Date(o.now.getTime() + o.ttl * 1000).toISOString()}::timestamptz)`);
  return { id, browser, csrf };
}

/**
 * The request a form post continues, only if the post comes from the browser that opened it (its cookie) through a
 * form we rendered (its CSRF token), at the expected step, before it expires; otherwise undefined.
 */
export async function loadAuthorization(db: Statements, o: { id: string; browser?: string; csrf: string; stages: AuthorizeStage[]; now: Date }): Promise<PendingAuthorization | undefined> {
  if (!o.browser) return undefined;
  const { rows } = await db.query<Row>(sql`SELECT * FROM smart_authorization WHERE id = ${o.id}`);
  const row = rows[0];
  if (!row || new Date(row.expires_at) <= o.now || !o.stages.includes(row.stage)) return undefined;
  if (!same(digestOf(o.browser), row.browser_digest) || !same(digestOf(o.csrf), row.csrf_digest)) return undefined;
  return {
    id: row.id,
    clientId: row.client_id,
    redirectUri: row.redirect_uri,
    scope: row.scope.split(' ').filter(Boolean),
    state: row.state,
    codeChallenge: row.code_challenge,
    nonce: row.nonce ?? undefined,
    stage: row.stage,
    challengeId: row.challenge_id ?? undefined,
    patientId: row.patient_id ?? undefined,
    subject: row.subject === null ? undefined : typeof row.subject === 'string' ? (JSON.parse(row.subject) as GrantSubject) : row.subject,
    signInSession: row.sign_in_session ?? undefined,
    authTime: row.auth_time ? new Date(row.auth_time) : undefined,
  };
}

/** Moves a request to its next step (with what that step learnt). */
export async function advanceAuthorization(
  db: Statements,
  id: string,
  next: { stage: AuthorizeStage; challengeId?: string | null; patientId?: string; subject?: GrantSubject; signInSession?: string; authTime?: Date },
): Promise<void> {
  await db.query(sql`UPDATE smart_authorization SET stage = ${next.stage},
    sign_in_session = COALESCE(${next.signInSession ?? null}, sign_in_session),
    auth_time = COALESCE(${next.authTime?.toISOString() ?? null}::timestamptz, auth_time),
    challenge_id = CASE WHEN ${next.challengeId !== undefined}::boolean THEN ${next.challengeId ?? null} ELSE challenge_id END,
    patient_id = COALESCE(${next.patientId ?? null}, patient_id),
    subject = COALESCE(${next.subject ? JSON.stringify(next.subject) : null}::jsonb, subject)
    WHERE id = ${id}`);
}

/**
 * Deletes expired requests, in batches (SKIP LOCKED: two servers share the work), for the retention job: opening a
 * request deletes them too, but a table left after a flood with no request since kept them (issue 11). Returns the count.
 */
export async function pruneExpiredAuthorizations(db: Transactions, now: Date, batchSize = 1000): Promise<number> {
  let deleted = 0;
  for (;;) {
    const n = await db.transaction(async (tx) => (await tx.query(sql`DELETE FROM smart_authorization WHERE id IN (
        SELECT id FROM smart_authorization WHERE expires_at < ${now.toISOString()}::timestamptz LIMIT ${batchSize} FOR UPDATE SKIP LOCKED)`)).rowCount);
    deleted += n;
    if (n < batchSize) return deleted;
  }
}

/** Ends a request (consent given or refused): its forms no longer work. Returns false if it was already ended. */
export async function closeAuthorization(db: Statements, id: string): Promise<boolean> {
  const r = await db.query(sql`DELETE FROM smart_authorization WHERE id = ${id}`);
  return r.rowCount > 0;
}
