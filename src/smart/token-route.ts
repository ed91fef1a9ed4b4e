import { randomUUID } from 'node:crypto';
import express, { type Express, type Request, type Response } from 'express';
import { mintAccessToken } from './access-token';
import { accessTokenReader, looksLikeJwt } from './access-token-revocation';
import { authenticateClient } from './client-auth';
import type { SmartClient } from './client-registry';
import { mintIdToken } from './id-token';
import { OAuthError, oauthError, sendOAuthError } from './oauth-error';
import { verifierMatches } from './pkce';
import type { RefreshRefusal } from './refresh-tokens';
import { baseOf, fhirBaseOf, param, type SmartDeps } from './smart-deps';
import { grantScopes, splitScopes } from './smart-scopes';
import { patientOf, type GrantSubject } from './subject';

/** The token endpoint's URL: what a client assertion's `aud` must be. */
export const tokenUrlOf = (req: Request, deps: SmartDeps): string => `${baseOf(req, deps)}/auth/token`;

type TokenAnswer = Record<string, unknown>;

/** Signs the access token (and, for a person who asked `openid`, the id_token) of a grant. */
async function answer(deps: SmartDeps, req: Request, o: { client: SmartClient; subject: GrantSubject; scope: string[]; nonce?: string; authTime?: Date; refreshToken?: string; account?: string; grant?: string }): Promise<TokenAnswer> {
  const ttl = deps.config.accessTokenTtl;
  const body: TokenAnswer = {
    access_token: await mintAccessToken(deps.key, { audience: deps.audience, subject: o.subject, scope: o.scope, clientId: o.client.clientId, ttl, account: o.account, grant: o.grant }),
    token_type: 'Bearer',
    expires_in: ttl,
    scope: o.scope.join(' '),
  };
  const patient = patientOf(o.subject);
  if (patient) Object.assign(body, { patient, need_patient_banner: true });
  if (o.scope.includes('openid') && o.subject.kind !== 'system') {
    body.id_token = await mintIdToken(deps.key, { issuer: baseOf(req, deps), fhirBase: fhirBaseOf(req, deps), clientId: o.client.clientId, subject: o.subject, nonce: o.nonce, authTime: o.authTime, ttl });
  }
  if (o.refreshToken) body.refresh_token = o.refreshToken;
  return body;
}

/** RFC 6749 §4.1.3 with RFC 7636 §4.6: one use, same client, same redirect URI, the verifier of the challenge. */
async function authorizationCodeGrant(deps: SmartDeps, req: Request, client: SmartClient): Promise<TokenAnswer> {
  const code = param(req.body, 'code');
  const redirectUri = param(req.body, 'redirect_uri');
  const verifier = param(req.body, 'code_verifier');
  if (!code || !redirectUri) throw oauthError('invalid_request', 'code and redirect_uri are required');
  if (!verifier) throw oauthError('invalid_request', 'code_verifier is required (PKCE)');
  const now = deps.clock();
  // The checks run in the transaction that burns the code; a refusal is returned, not thrown, so the burn commits.
  const outcome = await deps.store.exchangeCode(async (tx) => {
    const redeemed = await tx.redeemCode(code, now);
    if (!redeemed) return { refused: 'The authorization code is unknown' };
    if (redeemed.reused) {
      // A code presented twice was intercepted or replayed: what it gave is revoked (RFC 6749 §4.1.2).
      if (redeemed.familyId) await tx.revokeFamily(redeemed.familyId, 'authorization code reused', now);
      return { refused: 'The authorization code was already used' };
    }
    const g = redeemed.grant;
    if (redeemed.expired) return { refused: 'The authorization code has expired' };
    if (g.clientId !== client.clientId) return { refused: 'The authorization code was issued to another client' };
    if (g.redirectUri !== redirectUri) return { refused: 'redirect_uri differs from the authorization request' };
    if (!verifierMatches(verifier, g.codeChallenge)) return { refused: 'code_verifier does not match the code_challenge' };
    // Signed in before the holder's 18th birthday, exchanged after it: a refresh family started now would be dated after
    // the majority and refresh for 30 days a sign-in that may have been a parent's (attack sweep 6b).
    if (redeemed.signedInBeforeMajority) return { refused: REFRESH_REFUSALS['before-majority'] };
    // A new password revokes the account's refresh families and sessions; a code still unexchanged would have started a
    // family after that, surviving the password change that was meant to end every app's access (attack sweep 6b).
    if (redeemed.sessionEnded) return { refused: 'The sign-in this authorization code comes from has ended (new password, sign-out or closed record): sign in again' };
    let refreshToken: string | undefined;
    // The grant the access tokens name (`dmp_grant`): the refresh family when there is one, else the code's own, kept
    // with the code so that presenting it again ends the tokens it gave (RFC 6749 §4.1.2), with or without a family.
    let grantId: string = randomUUID();
    // The registration as it is now (a restart may have narrowed it since the consent), as at each refresh.
    const scope = grantScopes(g.scope, [client.scopes], ['patient']);
    if (scope.includes('offline_access') && client.grantTypes.includes('refresh_token')) {
      const family = await tx.startFamily({ clientId: client.clientId, scope, subject: g.subject, account: g.account, signInSession: g.signInSession }, { now, ttl: deps.config.refreshTokenTtl, familyTtl: deps.config.refreshFamilyTtl });
      refreshToken = family.token;
      grantId = family.familyId;
    }
    await tx.linkCodeFamily(redeemed.digest, grantId);
    return { grant: g, scope, refreshToken, grantId };
  });
  if ('refused' in outcome) throw oauthError('invalid_grant', outcome.refused as string);
  return answer(deps, req, { client, subject: outcome.grant.subject, scope: outcome.scope, nonce: outcome.grant.nonce, authTime: outcome.grant.authTime, refreshToken: outcome.refreshToken, account: outcome.grant.account, grant: outcome.grantId });
}

const REFRESH_REFUSALS: Record<RefreshRefusal, string> = {
  unknown: 'The refresh token is unknown',
  expired: 'The refresh token has expired',
  ended: 'The sign-in this refresh token comes from has reached its longest lifetime (SMART_REFRESH_FAMILY_TTL): sign in again',
  revoked: 'The refresh token was revoked',
  reused: 'The refresh token was already used: every token of this sign-in is now revoked',
  'other-client': 'The refresh token was issued to another client',
  'before-majority': 'The sign-in this refresh token comes from was made before the account holder turned 18: sign in again (credentials set before the 18th birthday no longer sign in)',
};

/** RFC 6749 §6 with rotation; a narrower `scope` may be asked, never a wider one. */
async function refreshTokenGrant(deps: SmartDeps, req: Request, client: SmartClient): Promise<TokenAnswer> {
  const token = param(req.body, 'refresh_token');
  if (!token) throw oauthError('invalid_request', 'refresh_token is required');
  const rotated = await deps.store.rotateRefreshToken(token, { clientId: client.clientId, now: deps.clock(), ttl: deps.config.refreshTokenTtl, familyTtl: deps.config.refreshFamilyTtl });
  if ('refused' in rotated) throw oauthError('invalid_grant', REFRESH_REFUSALS[rotated.refused]);
  // The client's registration as it is now, not as it was at the sign-in: an operator who withdrew a scope (or
  // offline_access) from an app is obeyed at its next refresh, not when its family ends months later (attack sweep 11).
  if (!client.scopes.includes('offline_access')) throw oauthError('invalid_grant', 'This client is no longer registered for offline_access: sign in again');
  let scope = grantScopes(rotated.family.scope, [client.scopes], ['patient']);
  const asked = param(req.body, 'scope');
  if (asked) {
    const wanted = splitScopes(asked);
    if (!wanted.every((s) => scope.includes(s))) throw oauthError('invalid_scope', 'A refresh may narrow the scopes, never widen them');
    scope = wanted;
  }
  return answer(deps, req, { client, subject: rotated.family.subject, scope, refreshToken: rotated.token, account: rotated.family.account, grant: rotated.family.id });
}

/** SMART Backend Services: the client's configured actor, with the system scopes asked ∩ registered. */
async function clientCredentialsGrant(deps: SmartDeps, req: Request, client: SmartClient): Promise<TokenAnswer> {
  if (client.authMethod !== 'private_key_jwt' || !client.actor) throw oauthError('unauthorized_client', 'client_credentials needs a confidential-asymmetric client with an actor');
  const scope = grantScopes(splitScopes(param(req.body, 'scope')), [client.scopes], ['system']);
  if (scope.length === 0) throw oauthError('invalid_scope', 'None of the requested scopes is registered for this client (system/… scopes)');
  return answer(deps, req, { client, subject: { kind: 'system', id: client.actor.id, category: client.actor.category }, scope });
}

const GRANTS = { authorization_code: authorizationCodeGrant, refresh_token: refreshTokenGrant, client_credentials: clientCredentialsGrant } as const;

/**
 * RFC 6749 §6: a public client refreshes without authenticating (fhirclient's default sends no client_id). The body
 * then names the client the refresh token was issued to, and only if that client is public: a confidential client
 * must still prove itself with its assertion, and an unknown token stays refused as "client_id is required".
 */
async function withRefreshClient(deps: SmartDeps, body: Record<string, unknown>, authorization: string | undefined): Promise<Record<string, unknown>> {
  if (body.grant_type !== 'refresh_token' || body.client_id !== undefined || body.client_assertion !== undefined || body.client_assertion_type !== undefined || authorization) return body;
  const token = param(body, 'refresh_token');
  const clientId = token ? await deps.store.refreshTokenClient(token) : undefined;
  const client = clientId ? deps.registry.find(clientId) : undefined;
  return client?.authMethod === 'none' ? { ...body, client_id: client.clientId } : body;
}

/**
 * RFC 7009 §2.1: revokes what a client presents, a refresh token (its whole family) or one of the access tokens it was
 * issued (the grant it came from: its family and every access token of it). Another client's token, an unknown or
 * expired one, is silently ignored (200 alike: no oracle). A backend client's access token names no grant and cannot
 * be revoked: said so (`unsupported_token_type`), not answered 200 as if it had been. Returns the grant's sign-in session.
 */
async function revokePresented(deps: SmartDeps, readAccess: ReturnType<typeof accessTokenReader>, token: string, client: SmartClient, now: Date): Promise<{ signInSession?: string }> {
  if (!looksLikeJwt(token)) return deps.store.revokeByToken(token, client.clientId, now);
  const presented = await readAccess(token, client.clientId, now);
  if (presented.kind === 'no-grant') throw oauthError('unsupported_token_type', 'This access token (client_credentials) cannot be revoked: it ends when it expires');
  return presented.kind === 'grant' ? deps.store.revokeGrant(presented.grant, now) : {};
}

/** Mounts POST /auth/token and POST /auth/revoke (RFC 7009). Every refusal is an RFC 6749 JSON error, never a 5xx. */
export function mountTokenRoutes(app: Express, deps: SmartDeps): void {
  const parse = express.urlencoded({ extended: false, limit: '16kb', parameterLimit: 50 });
  // A body the parser refuses (too large, too many parameters, a charset or encoding it cannot read) is an OAuth error
  // too (RFC 6749 §5.2 JSON, its status kept): an app reads `error`, never a FHIR OperationOutcome, from these endpoints.
  const form = (req: Request, res: Response, next: (err?: unknown) => void): void => {
    parse(req, res, (err?: unknown) => {
      if (!err) return next();
      const status = (err as { status?: number }).status;
      if (typeof status !== 'number' || status < 400 || status >= 500) return next(err);
      sendOAuthError(res, new OAuthError('invalid_request', `The token request body cannot be read: ${(err as Error).message}`, status));
    });
  };
  const readAccess = accessTokenReader(deps.key, deps.audience);
  const clientOf = async (req: Request) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    return authenticateClient(await withRefreshClient(deps, body, req.headers.authorization), req.headers.authorization, {
      rememberJti: deps.store.rememberJti, registry: deps.registry, tokenUrl: tokenUrlOf(req, deps), now: deps.clock(), maxAssertionTtl: deps.config.assertionMaxTtl,
    });
  };

  app.post('/auth/token', form, async (req: Request, res: Response) => {
    try {
      if (!req.is('application/x-www-form-urlencoded')) throw oauthError('invalid_request', 'The token request must be application/x-www-form-urlencoded');
      const grantType = param(req.body, 'grant_type');
      if (!grantType) throw oauthError('invalid_request', 'grant_type is required');
      if (!(grantType in GRANTS)) throw oauthError('unsupported_grant_type', `grant_type ${grantType} is not supported`);
      const client = await clientOf(req);
      if (!client.grantTypes.includes(grantType as keyof typeof GRANTS)) throw oauthError('unauthorized_client', `This client is not registered for ${grantType}`);
      const body = await GRANTS[grantType as keyof typeof GRANTS](deps, req, client);
      res.set({ 'Cache-Control': 'no-store', Pragma: 'no-cache' }).json(body);
    } catch (err) {
      sendOAuthError(res, err);
    }
  });

  app.post('/auth/revoke', form, async (req: Request, res: Response) => {
    try {
      const token = param(req.body, 'token');
      if (!token) throw oauthError('invalid_request', 'token is required');
      const client = await clientOf(req);
      // A refresh token ends its whole family, and with it the access tokens the family gave (their `dmp_grant`); an
      // access token ends the grant it came from the same way.
      await revokePresented(deps, readAccess, token, client, deps.clock());
      res.set('Cache-Control', 'no-store').status(200).end();
    } catch (err) {
      sendOAuthError(res, err);
    }
  });

  // A sign-out (the portal's "Se déconnecter"): as /auth/revoke, and the sign-in session the family was granted in
  // ends too, so that the next launch in that browser asks the password again. Authenticated by the refresh token
  // itself (only its client may present it), not by the browser's cookie: the app calls it server to server. A
  // guardian's "Changer de dossier" calls /auth/revoke instead and keeps the session.
  app.post('/auth/logout', form, async (req: Request, res: Response) => {
    try {
      const token = param(req.body, 'token');
      if (!token) throw oauthError('invalid_request', 'token is required');
      const client = await clientOf(req);
      const now = deps.clock();
      const { signInSession } = await revokePresented(deps, readAccess, token, client, now);
      if (signInSession) await deps.store.endSignInSession(signInSession, 'signed out', now);
      res.set('Cache-Control', 'no-store').status(200).end();
    } catch (err) {
      sendOAuthError(res, err);
    }
  });
}
