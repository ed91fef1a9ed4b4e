import { createHash, randomBytes } from 'node:crypto';
import type { Request, Response } from 'express';
import { html } from './html';
import { page } from './layout';
import { clearCookie, cookie, loopbackBase, publicBase, setCookie, type PortalOptions } from './portal-request';
import { newCsrf, PENDING_COOKIE, SESSION_COOKIE, type PendingSignIn, type PortalSession } from './session';

/** What the portal asks for: the patient's record, read and write within his consent, and staying signed in. */
export const PORTAL_SCOPE = 'openid fhirUser launch/patient patient/*.cruds offline_access';

const b64url = (bytes: Buffer) => bytes.toString('base64url');

/** Only a portal path is a place to come back to (no open redirect). */
function safeNext(next: unknown): string {
  return typeof next === 'string' && /^\/portal(\/[\w\-/.]*)?$/.test(next) ? next : '/portal/';
}

/**
 * Starts a SMART standalone launch with this server's own authorization endpoint, like any other app: PKCE S256,
 * a random state, the FHIR base as audience. The verifier and state wait in a short-lived encrypted cookie.
 */
export async function startSignIn(o: PortalOptions, req: Request, res: Response): Promise<void> {
  const verifier = b64url(randomBytes(32));
  const pending: PendingSignIn = { verifier, state: b64url(randomBytes(16)), next: safeNext(req.query.next) };
  setCookie(o, res, PENDING_COOKIE, await o.sealer.seal(pending, 600), 600);
  const base = publicBase(o, req);
  const query = new URLSearchParams({
    response_type: 'code',
    client_id: o.clientId,
    redirect_uri: `${base}/portal/callback`,
    scope: PORTAL_SCOPE,
    state: pending.state,
    aud: `${base}${o.fhirBasePath}`,
    code_challenge: b64url(createHash('sha256').update(verifier).digest()),
    code_challenge_method: 'S256',
  });
  res.redirect(303, `/auth/authorize?${query.toString()}`);
}

interface TokenAnswer {
  access_token?: string;
  refresh_token?: string;
  expires_in?: number;
  patient?: string;
  error?: string;
  error_description?: string;
}

async function tokenRequest(req: Request, form: Record<string, string>): Promise<TokenAnswer & { ok: boolean }> {
  const res = await fetch(`${loopbackBase(req)}/auth/token`, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(form).toString() });
  const body = (await res.json().catch(() => ({}))) as TokenAnswer;
  return { ...body, ok: res.ok };
}

async function openSession(o: PortalOptions, res: Response, answer: TokenAnswer, patient: string): Promise<void> {
  const session: PortalSession = {
    accessToken: answer.access_token as string,
    refreshToken: answer.refresh_token,
    expiresAt: Math.floor(Date.now() / 1000) + (answer.expires_in ?? 300),
    patient,
    csrf: newCsrf(),
  };
  setCookie(o, res, SESSION_COOKIE, await o.sealer.seal(session, o.sessionSeconds), o.sessionSeconds);
}

function failed(res: Response, status: number, text: string): void {
  res.status(status).type('html').send(page('Connexion impossible', { path: '/portal/login' }, html`<p>${text}</p><p><a href="/portal/login">Recommencer la connexion</a></p>`, { kind: 'error', text }).text);
}

/** The redirect back from the authorization server: checks the state, exchanges the code with the PKCE verifier. */
export async function finishSignIn(o: PortalOptions, req: Request, res: Response): Promise<void> {
  const pending = await o.sealer.open<PendingSignIn>(cookie(req, PENDING_COOKIE));
  clearCookie(o, res, PENDING_COOKIE);
  const { code, state, error } = req.query as Record<string, string | undefined>;
  if (error) return failed(res, 400, error === 'access_denied' ? 'Vous avez refusé l’accès : vous n’êtes pas connecté.' : 'La connexion a échoué.');
  if (!pending || !state || state !== pending.state || !code) return failed(res, 400, 'Cette demande de connexion a expiré ou ne vient pas de ce navigateur.');
  const answer = await tokenRequest(req, {
    grant_type: 'authorization_code',
    code,
    redirect_uri: `${publicBase(o, req)}/portal/callback`,
    client_id: o.clientId,
    code_verifier: pending.verifier,
  });
  if (!answer.ok || !answer.access_token || !answer.patient) return failed(res, 400, 'La connexion a échoué : veuillez recommencer.');
  await openSession(o, res, answer, answer.patient);
  res.redirect(303, pending.next);
}

/** A fresh access token from the refresh token (rotated by the authorization server), or undefined. */
export async function refreshSession(o: PortalOptions, req: Request, res: Response, session: PortalSession): Promise<PortalSession | undefined> {
  if (!session.refreshToken) return undefined;
  const answer = await tokenRequest(req, { grant_type: 'refresh_token', refresh_token: session.refreshToken, client_id: o.clientId });
  if (!answer.ok || !answer.access_token) return undefined;
  const next: PortalSession = { ...session, accessToken: answer.access_token, refreshToken: answer.refresh_token ?? session.refreshToken, expiresAt: Math.floor(Date.now() / 1000) + (answer.expires_in ?? 300) };
  setCookie(o, res, SESSION_COOKIE, await o.sealer.seal(next, o.sessionSeconds), o.sessionSeconds);
  return next;
}

/**
 * Signs out: revokes the refresh token and forgets the session. A sign-out (`/auth/logout`) also ends the
 * authorization server's sign-in session it came from, so the next sign-in asks the password again; a change of
 * record (`switching`: `/auth/revoke`, the token only) keeps it, so the guardian goes straight to the record choice.
 */
export async function signOut(o: PortalOptions, req: Request, res: Response, session: PortalSession | undefined, options: { quiet?: boolean; switching?: boolean } = {}): Promise<void> {
  if (session?.refreshToken) {
    await fetch(`${loopbackBase(req)}${options.switching ? '/auth/revoke' : '/auth/logout'}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: session.refreshToken, token_type_hint: 'refresh_token', client_id: o.clientId }).toString(),
    }).catch(() => undefined);
  }
  clearCookie(o, res, SESSION_COOKIE);
  if (options.quiet) return;
  res.status(200).type('html').send(page('Vous êtes déconnecté', { path: '/portal/logout' }, html`<p>Vous êtes déconnecté de votre espace.</p><p><a href="/portal/login">Se reconnecter</a></p>`).text);
}
