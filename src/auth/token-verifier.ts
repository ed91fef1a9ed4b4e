import { readFileSync } from 'node:fs';
import { isExcluded, type DmpActor, type DmpActorKind } from '../access/actor';
import { unauthorized, type FhirError } from '../fhir/errors';
import type { AuthConfig, IssuerConfig, IssuerMints } from './auth-config';
import { SMART_ISSUER, trustsDevIssuer } from './auth-config';
import { claimsToActor } from './claims-to-actor';
import type { DevKey } from './dev-key';
import { createLocalJWKSet, createRemoteJWKSet, decodeJwt, errors, jwtVerify, type JWTVerifyGetKey } from './jose';
import { operatorSubject } from './operator-cutoffs';
import { cutoffSubjects, issuedMsOf, longestOwnTokenLifetimeS, SESSION_ENDED, SESSION_UNCHECKED, type TokenCutoffs } from './token-cutoffs';

/** Verifies an `Authorization` header value and returns the actor it names. Throws 401 FhirError. */
export type TokenVerifier = (authorization: string | undefined) => Promise<DmpActor>;

const REALM = 'dmp-fhir';
/** `diagnostics` for the OperationOutcome; `description` (ASCII, for the header) when they differ (a French diagnostic). */
const invalid = (diagnostics: string, description = diagnostics): FhirError =>
  unauthorized(diagnostics, `Bearer realm="${REALM}", error="invalid_token", error_description="${description.replace(/"/g, "'")}"`);

/**
 * What decides whether a token outlived its right: the subjects it names and when it was issued; `operator` for a token
 * of another issuer, which only the operator's cut-off ends (`operator-cutoffs.ts`).
 */
interface Liveness {
  subjects: string[];
  issuedMs: number | undefined;
  operator?: boolean;
}

function keySetOf(issuer: IssuerConfig): JWTVerifyGetKey {
  if (/^https?:\/\//.test(issuer.jwks)) return createRemoteJWKSet(new URL(issuer.jwks));
  return createLocalJWKSet(JSON.parse(readFileSync(issuer.jwks, 'utf8')));
}

function describe(err: unknown): string {
  if (err instanceof errors.JWTExpired) return 'The token has expired';
  if (err instanceof errors.JWTClaimValidationFailed) {
    if (err.claim === 'nbf') return 'The token is not valid yet';
    if (err.claim === 'aud') return 'The token was issued for another audience';
    if (err.claim === 'iss') return 'The token comes from an untrusted issuer';
    return `The token's ${err.claim} claim is invalid`;
  }
  if (err instanceof errors.JOSEAlgNotAllowed) return 'The token is signed with an algorithm this server does not accept';
  if (err instanceof errors.JWSSignatureVerificationFailed) return 'The token signature is invalid';
  if (err instanceof errors.JWKSNoMatchingKey) return 'No trusted key matches the token';
  return 'The token is malformed or unsigned';
}

const VERIFIED_CACHE_SIZE = 10_000;
/** How far ahead of our clock a configured issuer's `iat` may be (its clock and ours drift). */
const CLOCK_SKEW_MS = 60_000;

/**
 * What an actor names beyond its issuer's declaration (`mints` of AUTH_ISSUERS), or undefined when within it. Every
 * category but the excluded ones (which only take rights away) and every role must be declared.
 */
export function beyondMints(actor: DmpActor, mints: IssuerMints): string | undefined {
  if (!mints.kinds.includes(actor.kind)) return `${actor.kind} tokens`;
  const category = actor.category;
  if (category && !isExcluded(actor) && !mints.categories.includes(category)) return `tokens of category ${category}`;
  if (actor.role && !mints.roles.includes(actor.role)) return `the role ${actor.role}`;
  return undefined;
}

/**
 * The actor of a verified token, frozen through and through: every request presenting the token shares it, and
 * a copy per request (structuredClone) cost more than the rest of the cache hit. Callers derive new actors.
 */
function frozen<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    for (const inner of Object.values(value)) frozen(inner);
    Object.freeze(value);
  }
  return value;
}

/**
 * Builds the bearer-token verifier: each configured issuer with its JWKS, audience and algorithms; the
 * development issuer (ES256, local key) only under DEV_AUTH=1 (`trustsDevIssuer`).
 */
export function createTokenVerifier(config: AuthConfig, devKey?: DevKey, loginKey?: DevKey, cutoffs?: TokenCutoffs): TokenVerifier {
  // Our own issuers' tokens die with the event that ends the right they carry (issue 11): no cut-offs, no own issuers.
  if (loginKey && !cutoffs) throw new Error('the patient sign-in and SMART issuers need the token cut-offs (token_cutoff)');
  const trusted = new Map<string, { issuer: IssuerConfig; keys: JWTVerifyGetKey; kinds?: DmpActorKind[]; own?: boolean }>();
  for (const issuer of config.issuers) trusted.set(issuer.issuer, { issuer, keys: keySetOf(issuer) });
  if (trustsDevIssuer(config) && devKey) {
    // The configured issuers' rule (`assertLifetime`): `iat` required, not from the future, a bounded lifetime. The key
    // signs whatever `npm run token` is asked, so a token minted for a year and copied into a ticket or a log would
    // otherwise answer for a year, outliving the operator's cut-offs (kept the longest lifetime, token-retention.ts).
    const issuer: IssuerConfig = { issuer: config.devIssuer, jwks: '(local)', audience: config.audience, algorithms: ['ES256'], maxTokenLifetime: config.devTokenMaxLifetime };
    trusted.set(config.devIssuer, { issuer, keys: createLocalJWKSet({ keys: [devKey.publicJwk] }) });
  }
  if (loginKey) {
    // Our own patient sign-in issuer: trusted in production too, but only for patient tokens.
    const issuer: IssuerConfig = { issuer: config.login.issuer, jwks: '(local)', audience: config.audience, algorithms: ['ES256'] };
    trusted.set(config.login.issuer, { issuer, keys: createLocalJWKSet({ keys: [loginKey.publicJwk] }), kinds: ['patient'], own: true });
    // Our SMART authorization server (src/smart), same key: patients, guardians on a chosen child's record, and
    // backend clients acting as their configured system actor. Never practitioners: they come from their own issuers.
    const smart: IssuerConfig = { issuer: SMART_ISSUER, jwks: '(local)', audience: config.audience, algorithms: ['ES256'] };
    trusted.set(SMART_ISSUER, { issuer: smart, keys: createLocalJWKSet({ keys: [loginKey.publicJwk] }), kinds: ['patient', 'guardian', 'system'], own: true });
  }
  /**
   * A token of our own issuers naming a patient or a guardian is dead when it was issued at or before the latest
   * cut-off of what it names (new password, credentials revoked, guardian link ended, majority hand-over), when it names
   * a guardian whose link has ended by time (its period's end, the child's 18th birthday: no event records those), or
   * when it was issued before its account holder's 18th birthday and that birthday has come. Checked on every request,
   * cache hit or not; the facts come from their own short cache (the revocation delay), the instant from the clock. A
   * fact that cannot be read refuses the token. Tokens of other issuers (professionals' identity providers, the
   * development key) carry no right our events end; only the operator's cut-off of the actor they name ends them
   * (`npm run tokens:cut`), with an English answer since no patient reads it.
   */
  const DESCRIPTIONS = {
    'cut-off': 'The session this token belongs to has ended',
    'link ended': 'The guardian link this token acts through has ended',
    'issued before the majority': 'The token was issued before the account holder turned 18',
  } as const;
  const assertLive = async (live: Liveness | undefined): Promise<void> => {
    if (!live || !cutoffs) return;
    if (live.issuedMs === undefined) {
      throw live.operator ? invalid('The token carries no issue time (iat)') : invalid(SESSION_ENDED, 'The token carries no issue time');
    }
    let death: keyof typeof DESCRIPTIONS | undefined;
    try {
      death = await cutoffs.deathOf(live.subjects, live.issuedMs);
    } catch {
      throw live.operator ? invalid('The token could not be checked against its revocations') : invalid(SESSION_UNCHECKED, 'The token could not be checked against its account');
    }
    if (death && live.operator) throw invalid('The tokens naming this actor were revoked by the operator: obtain a new one');
    if (death) throw invalid(SESSION_ENDED, DESCRIPTIONS[death]);
  };
  /**
   * A configured issuer's token, and a development token, carries `iat`, was not issued in the future, and lives no
   * longer than the issuer's `maxTokenLifetime` (DEV_TOKEN_MAX_LIFETIME for the development key): a token minted for a
   * year by a careless issuer, or stolen, would otherwise outlive every revocation (the operator's cut-offs are kept that
   * long, `../smart/token-retention.ts`).
   */
  const assertLifetime = (issuer: IssuerConfig, payload: { iat?: unknown; exp?: unknown }): void => {
    if (issuer.maxTokenLifetime === undefined) return;
    if (typeof payload.iat !== 'number' || !Number.isFinite(payload.iat)) throw invalid('The token carries no issue time (iat)');
    if (payload.iat * 1000 > Date.now() + CLOCK_SKEW_MS) throw invalid('The token was issued in the future (iat)');
    if ((payload.exp as number) - payload.iat > issuer.maxTokenLifetime) {
      throw invalid(`The token lives longer than its issuer's tokens may (maxTokenLifetime ${issuer.maxTokenLifetime} s)`);
    }
  };
  // Signature checks cost ~200 µs of CPU; a token verified once stays valid until it expires, so its actor
  // is kept (bounded, oldest first out). Only successes are kept: a bad token is checked again every time.
  const verified = new Map<string, { actor: DmpActor; exp: number; live?: Liveness }>();
  const remember = (authorization: string, actor: DmpActor, exp: number, live: Liveness | undefined) => {
    if (verified.size >= VERIFIED_CACHE_SIZE) verified.delete(verified.keys().next().value as string);
    verified.set(authorization, { actor, exp, live });
  };
  return async (authorization) => {
    // Keyed by the header as received: a client repeats it byte for byte, and a hit needs no parsing.
    const hit = authorization ? verified.get(authorization) : undefined;
    if (hit) {
      if (Date.now() < hit.exp * 1000) {
        await assertLive(hit.live);
        return hit.actor;
      }
      verified.delete(authorization as string);
    }
    const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
    if (!m) throw unauthorized(authorization ? 'The Authorization header must be "Bearer <token>"' : 'A bearer token is required', `Bearer realm="${REALM}"`);
    const token = m[1];
    let iss: string | undefined;
    try {
      iss = decodeJwt(token).iss;
    } catch {
      throw invalid('The token is malformed');
    }
    const entry = iss ? trusted.get(iss) : undefined;
    if (!entry) throw invalid('The token comes from an untrusted issuer');
    let verifiedActor: DmpActor;
    let verifiedLive: Liveness | undefined;
    try {
      const { payload } = await jwtVerify(token, entry.keys, {
        issuer: entry.issuer.issuer,
        audience: entry.issuer.audience,
        algorithms: entry.issuer.algorithms.filter((a) => a.toLowerCase() !== 'none'),
        requiredClaims: ['exp'],
      });
      const actor = frozen(claimsToActor(payload as Record<string, unknown>, entry.issuer.defaultScopes));
      if (entry.kinds && !entry.kinds.includes(actor.kind)) throw invalid(`The issuer ${entry.issuer.issuer} does not issue ${actor.kind} tokens`);
      const beyond = entry.issuer.mints && beyondMints(actor, entry.issuer.mints);
      if (beyond) throw invalid(`The issuer ${entry.issuer.issuer} is not trusted for ${beyond} (AUTH_ISSUERS mints)`);
      const issuedMs = issuedMsOf(payload as Record<string, unknown>);
      const live: Liveness | undefined = entry.own
        ? actor.kind === 'patient' || actor.kind === 'guardian'
          ? { subjects: cutoffSubjects(actor.kind, actor.id, payload as Record<string, unknown>), issuedMs }
          : undefined
        : { subjects: [operatorSubject(actor.kind, actor.id)], issuedMs, operator: true };
      assertLifetime(entry.issuer, payload);
      // A token living longer than our issuers give could outlive the cut-off that ends it (cut-offs are deleted once
      // the longest lifetime has passed, `../smart/token-retention.ts`): refused.
      if (live && !live.operator && typeof payload.iat === 'number' && (payload.exp as number) - payload.iat > longestOwnTokenLifetimeS(config.login.tokenTtl)) {
        throw invalid('The token lives longer than this server issues its tokens');
      }
      remember(authorization as string, actor, payload.exp as number, live);
      verifiedActor = actor;
      verifiedLive = live;
    } catch (err) {
      // Claims that name nobody come back as 401 too: give them the same challenge.
      if ((err as FhirError).status === 401) throw invalid((err as FhirError).message);
      throw invalid(describe(err));
    }
    await assertLive(verifiedLive);
    return verifiedActor;
  };
}
