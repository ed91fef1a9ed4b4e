import express, { type Express, type Request, type Response } from 'express';
import { reported } from '../auth/auth-routes';
import { LOGIN_BY_SESSION } from '../audit/audit-codes';
import { FhirError } from '../fhir/errors';
import { newContext } from '../http/fhir-endpoint';
import type { AuthorizeStage, PendingAuthorization } from './authorization-requests';
import { consentPage } from './consent-screen';
import { sendPage } from './html';
import { isS256Challenge } from './pkce';
import { clearSessionCookie, cookieOf, secureOf, SESSION_COOKIE, setSessionCookie } from './session-cookie';
import { sessionIdOf, type SignInSession } from './sign-in-sessions';
import { codePage, errorPage, loginPage, recordPage } from './sign-in-pages';
import { baseOf, fhirBaseOf, param, repeated, type SmartDeps } from './smart-deps';
import { grantScopes, IDENTITY_SCOPES, splitScopes } from './smart-scopes';

/** What a patient may let an app do on a record through the launch: what the sign-in grants him (widestScopes). */
const PATIENT_LIMIT = ['openid', 'fhirUser', 'launch/patient', 'offline_access', 'online_access', 'patient/*.cruds'];
const COOKIE = (id: string) => `dmp_authz_${id}`;
const EXPIRED = 'Cette demande de connexion a expiré ou n’est plus valide.';

/** The longest `state` and `nonce` kept with a pending request (and the nonce with its code and id_token). */
const MAX_STATE = 1024;
const MAX_NONCE = 512;

/** OpenID Connect `prompt` values understood (OIDC Core §3.1.2.1); any other is refused, not ignored. */
const PROMPTS = ['none', 'login', 'consent', 'select_account'];

/** The CSP form-action source of a redirect URI: its origin, or its scheme for a native app's private-use scheme. */
const formTarget = (uri: string): string => {
  const u = new URL(uri);
  return u.origin !== 'null' ? u.origin : u.protocol;
};

/** Sends the browser back to the app with the authorization response (RFC 6749 §4.1.2 and §4.1.2.1). */
function redirectBack(res: Response, redirectUri: string, params: Record<string, string | undefined>, status = 302): void {
  const url = new URL(redirectUri);
  for (const [k, v] of Object.entries(params)) if (v !== undefined) url.searchParams.append(k, v);
  res.setHeader('Cache-Control', 'no-store');
  res.redirect(status, url.toString());
}

/**
 * GET (or POST) /auth/authorize: checks the request (SMART App Launch 2.x §2.0.5), opens it and shows the sign-in.
 * The client and its redirect URI are checked first and refused with a page, never a redirect: an unregistered
 * URI would make this server an open redirector. Every later error goes back to the app with `error` and `state`.
 */
async function authorize(deps: SmartDeps, req: Request, res: Response): Promise<void> {
  const q = (req.method === 'POST' ? req.body : req.query) as Record<string, unknown>;
  const clientId = param(q, 'client_id');
  const redirectUri = param(q, 'redirect_uri');
  const client = clientId && redirectUri && !repeated(q, 'redirect_uri') ? deps.registry.find(clientId, redirectUri) : undefined;
  if (!client || !redirectUri || !deps.registry.allowsRedirect(client, redirectUri) || !client.grantTypes.includes('authorization_code')) {
    return sendPage(res, 400, errorPage('L’application n’est pas reconnue par le DMP, ou l’adresse de retour qu’elle donne n’est pas enregistrée pour elle.'));
  }
  const given = param(q, 'state');
  // What this server keeps of an unauthenticated request is bounded: a state or nonce of 16 kB (the largest URL or
  // form) in each of thousands of pending requests fills the table for no one (issue 14). Apps use a few dozen
  // characters (fhirclient: 16); a longer one is refused, and not echoed.
  const state = given !== undefined && given.length <= MAX_STATE ? given : undefined;
  const fail = (error: string, description: string) => redirectBack(res, redirectUri, { error, error_description: description, state });
  if (given !== undefined && state === undefined) return fail('invalid_request', `state must be at most ${MAX_STATE} characters`);
  if ((param(q, 'nonce')?.length ?? 0) > MAX_NONCE) return fail('invalid_request', `nonce must be at most ${MAX_NONCE} characters`);
  for (const name of ['response_type', 'scope', 'state', 'aud', 'code_challenge', 'code_challenge_method', 'nonce', 'prompt', 'max_age']) {
    if (repeated(q, name)) return fail('invalid_request', `${name} is repeated`);
  }
  if (param(q, 'response_type') !== 'code') return fail('unsupported_response_type', 'Only response_type=code is supported');
  if (!state) return fail('invalid_request', 'state is required');
  if (param(q, 'request') || param(q, 'request_uri')) return fail('invalid_request', 'Request objects are not supported');
  if (param(q, 'launch')) return fail('invalid_request', 'EHR launch is not supported: use a standalone launch');
  // PKCE S256 is required of every client (SMART 2.x): `plain` or no challenge is refused, never downgraded.
  if (param(q, 'code_challenge_method') !== 'S256') return fail('invalid_request', 'PKCE is required with code_challenge_method=S256');
  const challenge = param(q, 'code_challenge');
  if (!challenge || !isS256Challenge(challenge)) return fail('invalid_request', 'code_challenge must be a base64url SHA-256 (43 characters)');
  const aud = param(q, 'aud')?.replace(/\/+$/, '');
  // `aud` names the FHIR server the token is for: a token meant elsewhere must not be issued here (SMART §2.0.5).
  if (aud !== fhirBaseOf(req, deps)) return fail('invalid_request', `aud must be this FHIR server's base URL (${fhirBaseOf(req, deps)})`);
  const scope = grantScopes(splitScopes(param(q, 'scope')), [client.scopes, PATIENT_LIMIT], ['patient']);
  if (!scope.some((s) => !(IDENTITY_SCOPES as readonly string[]).includes(s) || s === 'openid')) {
    return fail('invalid_scope', 'None of the requested scopes may be granted to this client (ask e.g. patient/*.rs)');
  }
  const prompt = (param(q, 'prompt') ?? '').split(' ').filter(Boolean);
  if (prompt.some((p) => !PROMPTS.includes(p)) || (prompt.includes('none') && prompt.length > 1)) return fail('invalid_request', `prompt must be among ${PROMPTS.join(', ')} (none alone)`);
  // The consent screen is always shown, so nothing can be done without the person: and saying whether he is signed
  // in (login_required vs consent_required) would tell any registered app that he is, without his knowing.
  if (prompt.includes('none')) return fail('interaction_required', 'This server always asks the patient to consent');
  const maxAge = param(q, 'max_age');
  if (maxAge !== undefined && !/^\d{1,9}$/.test(maxAge)) return fail('invalid_request', 'max_age must be a whole number of seconds');
  const nonce = param(q, 'nonce');
  const now = deps.clock();
  const opened = await deps.store.openAuthorization({ clientId: client.clientId, redirectUri, scope, state, codeChallenge: challenge, nonce }, { now, ttl: deps.config.authorizeTtl });
  // The cookie binds the request to this browser (first-party, HttpOnly, SameSite=Strict): a form posted from
  // another site, or in another browser, does not carry it. Secure over HTTPS, the public URL's included (a proxy that
  // is not on loopback forwards plain http), as the sign-in session's cookie.
  res.cookie(COOKIE(opened.id), opened.browser, { httpOnly: true, sameSite: 'strict', secure: secureOf(req, deps.baseUrl), path: '/auth/authorize', maxAge: deps.config.authorizeTtl * 1000 });
  // A live sign-in session spares the password and the code (prompt=login asks them again); never the record choice
  // nor the consent, computed as after a sign-in.
  const cookie = cookieOf(req, SESSION_COOKIE);
  const use = prompt.includes('login') || !cookie ? undefined : await deps.store.useSignInSession(cookie, { now, idle: deps.config.sessionIdle, maxAge: maxAge === undefined ? undefined : Number(maxAge) });
  const session = use?.session;
  if (!session) {
    if (use && !use.alive) clearSessionCookie(req, res, deps.baseUrl);
    return sendPage(res, 200, loginPage({ tx: opened.id, csrf: opened.csrf, clientId: client.clientId }));
  }
  // Audited as a sign-in of the session's person: his history shows each time the session opened a record.
  await deps.onLogin?.(newContext(req, String(res.locals.requestId)), { patientId: session.account, success: true, reason: LOGIN_BY_SESSION });
  const pending: PendingAuthorization = { id: opened.id, clientId: client.clientId, redirectUri, scope, state, codeChallenge: challenge, nonce, stage: 'login' };
  await showConsentOrChoice(deps, res, pending, opened.csrf, session);
}

/** Loads the request a form continues, or answers the "expired" page (no redirect: nothing here is trusted yet). */
async function continued(deps: SmartDeps, req: Request, res: Response, stages: AuthorizeStage[]): Promise<PendingAuthorization | undefined> {
  const id = param(req.body, 'tx');
  const csrf = param(req.body, 'csrf');
  const origin = req.get('origin');
  // A browser says where a form came from: only our own pages may post these forms.
  const sameOrigin = !origin || origin === new URL(baseOf(req, deps)).origin;
  const pending = id && csrf && sameOrigin ? await deps.store.loadAuthorization({ id, csrf, browser: cookieOf(req, COOKIE(id)), stages, now: deps.clock() }) : undefined;
  if (!pending) sendPage(res, 400, errorPage(EXPIRED));
  return pending;
}

/** The message a patient reads for a refused sign-in step (our errors are in French). */
const messageOf = (err: unknown): string => (err instanceof FhirError ? err.message : 'La connexion a échoué.');
const statusOf = (err: unknown): number => (err instanceof FhirError && err.status !== 401 ? err.status : 400);

/** After the sign-in (typed, or the session's): the records this person may open now, or straight the consent. */
async function showConsentOrChoice(deps: SmartDeps, res: Response, pending: PendingAuthorization, csrf: string, session: SignInSession): Promise<void> {
  const patientId = session.account;
  const signedIn = { patientId, challengeId: null, signInSession: session.id, authTime: session.authTime };
  const choices = await deps.store.recordChoices(patientId, deps.clock());
  if (choices.length > 1) {
    await deps.store.advanceAuthorization(pending.id, { stage: 'record', ...signedIn });
    return sendPage(res, 200, recordPage({ tx: pending.id, csrf, choices }));
  }
  await deps.store.advanceAuthorization(pending.id, { stage: 'consent', ...signedIn, subject: choices[0].subject });
  sendPage(res, 200, consentPage({ tx: pending.id, csrf, clientId: pending.clientId, record: choices[0].label, scopes: pending.scope }), [formTarget(pending.redirectUri)]);
}

/** Mounts the authorization endpoint and its sign-in, record choice and consent forms. */
export function mountAuthorizeRoutes(app: Express, deps: SmartDeps): void {
  const form = express.urlencoded({ extended: false, limit: '16kb', parameterLimit: 50 });
  app.get('/auth/authorize', (req, res) => authorize(deps, req, res));
  app.post('/auth/authorize', form, (req, res) => authorize(deps, req, res));

  app.post('/auth/authorize/login', form, async (req, res) => {
    const pending = await continued(deps, req, res, ['login', 'code']);
    if (!pending) return;
    const csrf = param(req.body, 'csrf') as string;
    const identifier = param(req.body, 'identifier');
    const password = param(req.body, 'password');
    if (!identifier || !password) return sendPage(res, 400, loginPage({ tx: pending.id, csrf, clientId: pending.clientId, error: 'Saisissez votre identifiant et votre mot de passe.' }));
    try {
      // The same sign-in as POST /auth/login: lockout, password check, code sent by e-mail or SMS, audit.
      const started = await reported(deps, req, res, () => deps.login.start(identifier, password), false);
      await deps.store.advanceAuthorization(pending.id, { stage: 'code', challengeId: started.challenge });
      sendPage(res, 200, codePage({ tx: pending.id, csrf }));
    } catch (err) {
      sendPage(res, statusOf(err), loginPage({ tx: pending.id, csrf, clientId: pending.clientId, error: messageOf(err) }));
    }
  });

  app.post('/auth/authorize/code', form, async (req, res) => {
    const pending = await continued(deps, req, res, ['code']);
    if (!pending) return;
    const csrf = param(req.body, 'csrf') as string;
    const code = param(req.body, 'code');
    if (!code) return sendPage(res, 400, codePage({ tx: pending.id, csrf, error: 'Saisissez le code reçu.' }));
    let patientId: string;
    try {
      ({ patient: patientId } = await reported(deps, req, res, async () => ({ patient: (await deps.login.verify(pending.challengeId as string, code)).patientId }), true));
    } catch (err) {
      // A burnt code (429) cannot be retried: back to the password, which sends a new one.
      if (err instanceof FhirError && err.status === 429) {
        await deps.store.advanceAuthorization(pending.id, { stage: 'login', challengeId: null });
        return sendPage(res, 429, loginPage({ tx: pending.id, csrf, clientId: pending.clientId, error: 'Trop de codes erronés : saisissez à nouveau votre mot de passe pour recevoir un nouveau code.' }));
      }
      return sendPage(res, statusOf(err), codePage({ tx: pending.id, csrf, error: messageOf(err) }));
    }
    // Password and code typed: a new sign-in session for this browser (the one it held before, if any, ends).
    const now = deps.clock();
    const previous = sessionIdOf(cookieOf(req, SESSION_COOKIE));
    if (previous) await deps.store.endSignInSession(previous, 'replaced by a new sign-in', now);
    const opened = await deps.store.openSignInSession(patientId, { now, ttl: deps.config.sessionTtl });
    setSessionCookie(req, res, { secret: opened.secret, ttl: deps.config.sessionTtl, baseUrl: deps.baseUrl });
    await showConsentOrChoice(deps, res, pending, csrf, opened.session);
  });

  app.post('/auth/authorize/record', form, async (req, res) => {
    const pending = await continued(deps, req, res, ['record']);
    if (!pending) return;
    const csrf = param(req.body, 'csrf') as string;
    // Choices are computed again: the posted value is only an index into what this person may open now.
    const choices = await deps.store.recordChoices(pending.patientId as string, deps.clock());
    const choice = choices.find((c) => c.value === param(req.body, 'record'));
    if (!choice) return sendPage(res, 400, recordPage({ tx: pending.id, csrf, choices, error: 'Choisissez un des dossiers proposés.' }));
    await deps.store.advanceAuthorization(pending.id, { stage: 'consent', subject: choice.subject });
    sendPage(res, 200, consentPage({ tx: pending.id, csrf, clientId: pending.clientId, record: choice.label, scopes: pending.scope }), [formTarget(pending.redirectUri)]);
  });

  app.post('/auth/authorize/consent', form, async (req, res) => {
    const pending = await continued(deps, req, res, ['consent']);
    if (!pending || !pending.subject) return;
    // One answer per request: a second post (double click, replay) finds it closed.
    if (!(await deps.store.closeAuthorization(pending.id))) return sendPage(res, 400, errorPage(EXPIRED));
    // Signed out, or a new password set, since this request signed in: it gives nothing any more.
    if (pending.signInSession && (await deps.store.isSignInSessionEnded(pending.signInSession))) return sendPage(res, 400, errorPage(EXPIRED));
    res.clearCookie(COOKIE(pending.id), { path: '/auth/authorize' });
    if (param(req.body, 'decision') !== 'allow') {
      return redirectBack(res, pending.redirectUri, { error: 'access_denied', error_description: 'The patient refused', state: pending.state }, 303);
    }
    const raw = (req.body as Record<string, unknown>).scope;
    const checked = new Set((Array.isArray(raw) ? raw : [raw]).filter((s): s is string => typeof s === 'string'));
    // Identity scopes go with the sign-in; each permission shown with a checkbox stays only if left checked.
    const scope = pending.scope.filter((s) => checked.has(s) || ['openid', 'fhirUser', 'launch/patient', 'profile'].includes(s));
    const code = await deps.store.issueCode({ clientId: pending.clientId, redirectUri: pending.redirectUri, codeChallenge: pending.codeChallenge, scope, nonce: pending.nonce, subject: pending.subject!, account: pending.patientId, signInSession: pending.signInSession, authTime: pending.authTime }, { now: deps.clock(), ttl: deps.config.codeTtl });
    redirectBack(res, pending.redirectUri, { code, state: pending.state }, 303);
  });
}
