import type { Patient, RelatedPerson } from '@medplum/fhirtypes';
import { guardianLinkEndAt, majorityDate, parisMidnight } from '../access/guardian-rules';
import type { Statements } from '../store/db';
import { sql } from '../store/sql';

/**
 * Issue 11, account takeover: when the access tokens naming a subject (`Patient/<id>`: an account or the record a
 * patient token names; `RelatedPerson/<id>`: a guardian) are dead. Three facts, read together in one statement:
 * - the subject's cut-off, stored in `token_cutoff` (migration 235), written in the transaction of the event that ends
 *   the right: a new password, credentials revoked, a guardian link ended, the majority hand-over. A token issued at or
 *   before it is dead;
 * - for a guardian, the instant his link ends by time alone (its period's end, the child's 18th birthday:
 *   `guardianLinkEndAt`), which no event records: every token naming him is dead from that instant on, whenever it was
 *   issued, decided at each verification against the clock (no job, no timer);
 * - for an account, its holder's 18th birthday: a token issued before it came from credentials set while he was a minor
 *   (possibly by a parent), which sign-in and refresh refuse from that day (`credential-majority.ts`); it dies at that
 *   instant too, not when the hourly hand-over job revokes the credentials.
 * Read with a short per-process cache so that an audited read sends no statement of its own for it: the cache's
 * lifetime (TOKEN_CUTOFF_CACHE_MS) is the revocation delay, the longest a token keeps working after an event (or after
 * an edit of a link's period or a birth date), in this process as in any other. What is cached are the stored facts,
 * never the decision: a link's end or a majority is compared with the clock on every request.
 */
export interface TokenCutoffsOptions {
  /** How long a subject's facts (or their absence) are reused, ms; 0 reads them on every request. */
  ttlMs: number;
  maxEntries?: number;
  /** Milliseconds since the epoch (the cache's clock and the verification's instant; tests inject it). */
  clock?: () => number;
}

interface Entry {
  /** Epoch ms of the cut-off, floored to the millisecond; null when the subject has none. */
  cutMs: number | null;
  /** A guardian's link: epoch ms from which it gives nothing by time (-Infinity: no live link); null for other subjects. */
  endsMs: number | null;
  /** An account's holder: epoch ms of his 18th birthday (Paris midnight); null without a birth date or record. */
  majorityMs: number | null;
  at: number;
}

/** Why a token of our own issuers is dead, for the header's description (English); undefined when it lives. */
export type TokenDeath = 'cut-off' | 'link ended' | 'issued before the majority';

const RELATED_PERSON = 'RelatedPerson/';
const PATIENT = 'Patient/';

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
   * Whether a token naming these subjects, issued at `issuedMs`, is dead now (and why), undefined when it lives. A
   * database error is thrown, never taken for "alive", and nothing is remembered from it: the caller refuses the token
   * (closed by default).
   */
  async deathOf(subjects: readonly string[], issuedMs: number): Promise<TokenDeath | undefined> {
    const now = this.clock();
    const known = new Map<string, Entry>();
    const missing: string[] = [];
    for (const subject of subjects) {
      const hit = this.ttlMs > 0 ? this.entries.get(subject) : undefined;
      if (hit && now - hit.at < this.ttlMs) known.set(subject, hit);
      else missing.push(subject);
    }
    if (missing.length) {
      for (const [subject, entry] of await this.load(missing, now)) {
        known.set(subject, entry);
        if (this.ttlMs > 0) this.remember(subject, entry);
      }
    }
    let death: TokenDeath | undefined;
    for (const e of known.values()) {
      if (e.cutMs !== null && issuedMs <= e.cutMs) return 'cut-off';
      if (e.endsMs !== null && !(now < e.endsMs)) death = 'link ended';
      else if (e.majorityMs !== null && issuedMs < e.majorityMs && !(now < e.majorityMs)) death ??= 'issued before the majority';
    }
    return death;
  }

  /**
   * One statement for the subjects' facts: the cut-off, and for a guardian his link with the child's birth date (only a
   * link that `access_guardian` keeps counts), for an account its record's birth date. A RelatedPerson row keeps only its
   * text; a Patient row its content too (`CONTENT_TYPES`, `../store/write-sql.ts`).
   */
  private async load(subjects: string[], now: number): Promise<Map<string, Entry>> {
    const { rows } = await this.db.query<{ subject: string; cut_ms: string | number | null; person: string | null; linked: boolean; birth_date: string | null }>(sql`SELECT s.subject,
        (SELECT floor(extract(epoch FROM c.cut_at) * 1000)::bigint FROM token_cutoff c WHERE c.subject = s.subject) AS cut_ms,
        rp.text AS person, g.related_person_id IS NOT NULL AS linked, COALESCE(child.content, own.content)->>'birthDate' AS birth_date
      FROM unnest(${subjects}::text[]) AS s(subject)
      LEFT JOIN access_guardian g ON s.subject LIKE ${`${RELATED_PERSON}%`} AND g.related_person_id = substr(s.subject, ${RELATED_PERSON.length + 1})
      LEFT JOIN resource rp ON rp.type = 'RelatedPerson' AND rp.id = g.related_person_id AND NOT rp.deleted
      LEFT JOIN resource child ON child.type = 'Patient' AND child.id = g.patient_id AND NOT child.deleted
      LEFT JOIN resource own ON s.subject LIKE ${`${PATIENT}%`} AND own.type = 'Patient' AND own.id = substr(s.subject, ${PATIENT.length + 1}) AND NOT own.deleted`);
    const loaded = new Map<string, Entry>();
    for (const subject of subjects) {
      const row = rows.find((r) => r.subject === subject);
      const cutMs = row?.cut_ms !== null && row?.cut_ms !== undefined ? Number(row.cut_ms) : null;
      let endsMs: number | null = null;
      let majorityMs: number | null = null;
      if (subject.startsWith(RELATED_PERSON)) {
        // A guardian token whose RelatedPerson keeps no guardian link names nobody it may act for: dead.
        endsMs = row?.linked ? guardianLinkEndAt(row.person ? (JSON.parse(row.person) as RelatedPerson) : undefined, { birthDate: row.birth_date ?? undefined } as Pick<Patient, 'birthDate'>) : -Infinity;
      } else if (subject.startsWith(PATIENT)) {
        const majority = majorityDate(row?.birth_date);
        majorityMs = majority ? parisMidnight(majority).getTime() : null;
      }
      loaded.set(subject, { cutMs, endsMs, majorityMs, at: now });
    }
    return loaded;
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

/** The largest SMART_ACCESS_TOKEN_TTL the configuration accepts (`smart-config.ts`), seconds. */
const LONGEST_ACCEPTED_SMART_ACCESS_TOKEN_S = 86_400;

/**
 * The longest lifetime (`exp` − `iat`, seconds) a patient or guardian token of our own issuers may have: the sign-in's
 * LOGIN_TOKEN_TTL or a day (the largest SMART_ACCESS_TOKEN_TTL accepted), whichever is longer. The cut-offs are kept that
 * long (`../smart/token-retention.ts`), and the verifier refuses a longer-lived token, so that no token outlives the
 * cut-off that ends it — not even one issued before a lifetime was lowered at a restart.
 */
export function longestOwnTokenLifetimeS(loginTokenTtlS: number): number {
  return Math.max(loginTokenTtlS, LONGEST_ACCEPTED_SMART_ACCESS_TOKEN_S);
}

/** Claims our issuers add so that a token's issue instant is known to the millisecond (`issuedMsOf`). */
export function issueInstantClaims(issuedAt: Date): { iat: number; dmp_issued_ms: number } {
  const ms = issuedAt.getTime();
  return { iat: Math.floor(ms / 1000), dmp_issued_ms: ms };
}
