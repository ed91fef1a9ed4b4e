import type { Statements } from '../store/db';
import { sql } from '../store/sql';

/**
 * Issue 11, account takeover: the instant before which the access tokens naming a subject (`Patient/<id>`: an
 * account or the record a patient token names; `RelatedPerson/<id>`: a guardian) are dead. Stored in `token_cutoff`
 * (migration 235), written in the transaction of the event that ends the right: a new password, credentials revoked,
 * a guardian link ended, the majority hand-over. Read here with a short per-process cache so that an audited read
 * sends no statement of its own for it: the cache's lifetime (TOKEN_CUTOFF_CACHE_MS) is the revocation delay, the
 * longest a token keeps working after the event, in this process as in any other.
 */
export interface TokenCutoffsOptions {
  /** How long a subject's cut-off (or its absence) is reused, ms; 0 reads it on every request. */
  ttlMs: number;
  maxEntries?: number;
  /** Milliseconds since the epoch (the cache's clock; tests inject it to step past the delay). */
  clock?: () => number;
}

interface Entry {
  /** Epoch ms of the cut-off, floored to the millisecond; null when the subject has none. */
  cutMs: number | null;
  at: number;
}

export class TokenCutoffs {
  private readonly entries = new Map<string, Entry>();
  private readonly ttlMs: number;
  private readonly maxEntries: number;
  private readonly clock: () => number;

  constructor(
    private readonly db: Pick<Statements, 'query'>,
    options: TokenCutoffsOptions,
  ) {
    this.ttlMs = options.ttlMs;
    this.maxEntries = options.maxEntries ?? 10_000;
    this.clock = options.clock ?? Date.now;
  }

  /**
   * The latest cut-off of these subjects (epoch ms), undefined when none has one. A database error is thrown, never
   * taken for "no cut-off", and nothing is remembered from it: the caller refuses the token (closed by default).
   */
  async latest(subjects: readonly string[]): Promise<number | undefined> {
    const now = this.clock();
    const known = new Map<string, number | null>();
    const missing: string[] = [];
    for (const subject of subjects) {
      const hit = this.ttlMs > 0 ? this.entries.get(subject) : undefined;
      if (hit && now - hit.at < this.ttlMs) known.set(subject, hit.cutMs);
      else missing.push(subject);
    }
    if (missing.length) {
      const { rows } = await this.db.query<{ subject: string; cut_ms: string | number }>(sql`SELECT subject,
          floor(extract(epoch FROM cut_at) * 1000)::bigint AS cut_ms
        FROM token_cutoff WHERE subject = ANY(${missing}::text[])`);
      for (const subject of missing) {
        const row = rows.find((r) => r.subject === subject);
        const cutMs = row ? Number(row.cut_ms) : null;
        known.set(subject, cutMs);
        if (this.ttlMs > 0) this.remember(subject, { cutMs, at: now });
      }
    }
    let latest: number | undefined;
    for (const cutMs of known.values()) if (cutMs !== null && (latest === undefined || cutMs > latest)) latest = cutMs;
    return latest;
  }

  private remember(subject: string, entry: Entry): void {
    this.entries.delete(subject);
    if (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value as string);
    this.entries.set(subject, entry);
  }
}

/** The French answer a patient or guardian reads when his token outlived the end of his right. */
export const SESSION_ENDED = 'Votre session a pris fin (déconnexion, nouveau mot de passe, identifiants révoqués ou droits de représentant légal terminés) : reconnectez-vous.';
/** The French answer when the cut-off could not be read: the token is refused, not accepted. */
export const SESSION_UNCHECKED = 'La validité de votre session n’a pas pu être vérifiée : reconnectez-vous dans un instant.';

/**
 * The subjects whose cut-offs end a token of our own issuers, from its verified claims: a patient token names its
 * record (`patient`), a guardian token its RelatedPerson; a SMART token also names the account whose credential signed
 * in (`dmp_account`: a guardian signs in with his own record's credential), and the grant it was given by (`dmp_grant`:
 * its refresh family or its code, revoked at sign-out, or when a code or refresh token is replayed). Other kinds have none.
 */
export function cutoffSubjects(kind: string, id: string, claims: Record<string, unknown>): string[] {
  const subjects: string[] = [];
  if (kind === 'patient') subjects.push(`Patient/${id}`);
  else if (kind === 'guardian') subjects.push(`RelatedPerson/${id}`);
  else return subjects;
  const account = claims.dmp_account;
  if (typeof account === 'string' && account && !subjects.includes(`Patient/${account}`)) subjects.push(`Patient/${account}`);
  // A SMART token dies with its grant (sign-out, revocation, a replayed code or refresh token).
  const grant = claims.dmp_grant;
  if (typeof grant === 'string' && grant) subjects.push(`SmartGrant/${grant}`);
  return subjects;
}

/**
 * When a token of our own issuers was issued, epoch ms: its `dmp_issued_ms` (our tokens carry it since migration 235)
 * when it agrees with `iat`, else the start of its `iat` second (the earliest it may have been issued: a token of the
 * cut-off's second is refused rather than let through). Undefined when it carries no usable `iat`.
 */
export function issuedMsOf(claims: Record<string, unknown>): number | undefined {
  const iat = claims.iat;
  if (typeof iat !== 'number' || !Number.isFinite(iat)) return undefined;
  const ms = claims.dmp_issued_ms;
  if (typeof ms === 'number' && Number.isInteger(ms) && Math.floor(ms / 1000) === Math.floor(iat)) return ms;
  return Math.floor(iat) * 1000;
}

/** Claims our issuers add so that a token's issue instant is known to the millisecond (`issuedMsOf`). */
export function issueInstantClaims(issuedAt: Date): { iat: number; dmp_issued_ms: number } {
  const ms = issuedAt.getTime();
  return { iat: Math.floor(ms / 1000), dmp_issued_ms: ms };
}
