import { authorizeUrl, Browser, newVerifier, signInAndConsent, tokenRequest, type Person } from './launch-driver';
import { APP, PASSWORD, type SmartApp } from './smart-app';

export const SCOPE = 'openid fhirUser launch/patient offline_access patient/*.rs';

/** Jeanne at the keyboard, reading her codes from what the server sent. */
export const jeanneOf = (s: SmartApp): Person => ({ identifier: 'jeanne', password: PASSWORD, code: () => s.lastCode() });

/** Runs the pages up to the redirect back; returns the code, its verifier and state (no token exchange). */
export async function authorizeCode(s: SmartApp, person: Person, scope = SCOPE): Promise<{ code: string; verifier: string; state: string }> {
  const verifier = newVerifier();
  const state = `st-${Math.random()}`;
  const back = await signInAndConsent(new Browser(), s.url, authorizeUrl(`${s.url}/auth/authorize`, { ...APP, scope, aud: s.fhirBase, state, verifier }), person);
  return { code: back.searchParams.get('code') as string, verifier, state };
}

/** Exchanges a code as the registered public app. */
export const exchange = (s: SmartApp, code: string, verifier: string, extra: Record<string, string> = {}) =>
  tokenRequest(s.tokenUrl, { grant_type: 'authorization_code', code, redirect_uri: APP.redirectUri, client_id: APP.clientId, code_verifier: verifier, ...extra });

/** Uses a refresh token as the registered public app. */
export const refresh = (s: SmartApp, token: string, extra: Record<string, string> = {}) =>
  tokenRequest(s.tokenUrl, { grant_type: 'refresh_token', refresh_token: token, client_id: APP.clientId, ...extra });
