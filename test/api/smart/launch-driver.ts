import { createHash, randomBytes } from 'node:crypto';

/**
 * What `fhirclient` does in a standalone launch, step by step, plus the person in front of the browser (sign-in
 * forms, consent): discovery at the FHIR base, a PKCE S256 verifier and a random state, the authorization URL,
 * the redirect back, the state check, the code exchange. Only `fetch` and a cookie jar: no access to the server's
 * insides.
 */
export class Browser {
  private cookies = new Map<string, string>();

  private remember(res: Response): void {
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const expired = attrs.some((a) => /^\s*expires=Thu, 01 Jan 1970/i.test(a)) || pair.slice(eq + 1).trim() === '';
      if (expired) this.cookies.delete(name);
      else this.cookies.set(name, pair.slice(eq + 1).trim());
    }
  }

  private header(): Record<string, string> {
    return this.cookies.size ? { cookie: [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ') } : {};
  }

  async get(url: string): Promise<Response> {
    const res = await fetch(url, { redirect: 'manual', headers: this.header() });
    this.remember(res);
    return res;
  }

  async post(url: string, form: Record<string, string | string[]>, extraHeaders: Record<string, string> = {}): Promise<Response> {
    const body = new URLSearchParams();
    for (const [k, v] of Object.entries(form)) for (const one of Array.isArray(v) ? v : [v]) body.append(k, one);
    const res = await fetch(url, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded', ...this.header(), ...extraHeaders }, body });
    this.remember(res);
    return res;
  }

  /** The value of a cookie this browser holds (a test playing a thief who copied it). */
  cookie(name: string): string | undefined {
    return this.cookies.get(name);
  }

  forgetCookies(): void {
    this.cookies.clear();
  }
}

/** The hidden fields and action of the (only) form of a page. */
export function formOf(html: string): { action: string; fields: Record<string, string> } {
  const action = /<form method="post" action="([^"]+)"/.exec(html)?.[1];
  if (!action) throw new Error(`no form in page: ${html.slice(0, 400)}`);
  const fields: Record<string, string> = {};
  for (const m of html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) fields[m[1]] = m[2];
  return { action, fields };
}

export const newVerifier = (): string => randomBytes(48).toString('base64url');
export const challengeOf = (verifier: string): string => createHash('sha256').update(verifier).digest('base64url');

export interface LaunchRequest {
  clientId: string;
  redirectUri: string;
  scope: string;
  aud: string;
  state?: string;
  verifier?: string;
  /** Overrides of the authorization URL's parameters (undefined removes one). */
  params?: Record<string, string | undefined>;
  nonce?: string;
}

/** The authorization URL fhirclient builds from the discovered endpoint. */
export function authorizeUrl(endpoint: string, r: LaunchRequest & { state: string; verifier: string }): string {
  const url = new URL(endpoint);
  const params: Record<string, string | undefined> = {
    response_type: 'code',
    client_id: r.clientId,
    scope: r.scope,
    redirect_uri: r.redirectUri,
    aud: r.aud,
    state: r.state,
    code_challenge: challengeOf(r.verifier),
    code_challenge_method: 'S256',
    nonce: r.nonce,
    ...r.params,
  };
  for (const [k, v] of Object.entries(params)) if (v !== undefined) url.searchParams.set(k, v);
  return url.toString();
}

/** The person's answers to the pages. */
export interface Person {
  identifier: string;
  password: string;
  /** Reads the code the server sent (e-mail/SMS). */
  code: () => string;
  /** Which record to choose when asked (label text contains it). */
  record?: string;
  /** Scopes to uncheck on the consent screen. */
  uncheck?: string[];
  decision?: 'allow' | 'deny';
}

/** Fills the sign-in pages from the authorization URL to the redirect back; returns the redirect Location. */
export async function signInAndConsent(browser: Browser, base: string, url: string, person: Person): Promise<URL> {
  let res = await browser.get(url);
  if (res.status !== 200) throw new Error(`authorize answered ${res.status} ${res.headers.get('location') ?? ''}`);
  let html = await res.text();
  let form = formOf(html);
  res = await browser.post(base + form.action, { ...form.fields, identifier: person.identifier, password: person.password });
  html = await res.text();
  if (res.status !== 200) throw new Error(`login step answered ${res.status}: ${html.slice(0, 300)}`);
  form = formOf(html);
  res = await browser.post(base + form.action, { ...form.fields, code: person.code() });
  html = await res.text();
  form = formOf(html);
  if (form.action.endsWith('/record')) {
    const options = [...html.matchAll(/value="([^"]+)"[^>]*> <label[^>]*>([^<]+)</g)].map((m) => ({ value: m[1], label: m[2] }));
    const chosen = options.find((o) => o.label.includes(person.record ?? 'Mon dossier'));
    if (!chosen) throw new Error(`no record ${person.record} among ${JSON.stringify(options)}`);
    res = await browser.post(base + form.action, { ...form.fields, record: chosen.value });
    html = await res.text();
    form = formOf(html);
  }
  if (!form.action.endsWith('/consent')) throw new Error(`expected the consent screen: ${html.slice(0, 300)}`);
  const offered = [...html.matchAll(/name="scope" value="([^"]+)" checked/g)].map((m) => m[1].replace(/&#39;/g, "'").replace(/&amp;/g, '&'));
  const kept = offered.filter((s) => !(person.uncheck ?? []).includes(s));
  res = await browser.post(base + form.action, { ...form.fields, scope: kept, decision: person.decision ?? 'allow' });
  if (res.status !== 303) throw new Error(`consent answered ${res.status}: ${(await res.text()).slice(0, 300)}`);
  return new URL(res.headers.get('location') as string);
}

/** POSTs a form to the token endpoint as fhirclient does. */
export async function tokenRequest(tokenUrl: string, form: Record<string, string>, headers: Record<string, string> = {}): Promise<{ status: number; body: Record<string, unknown>; headers: Headers }> {
  const res = await fetch(tokenUrl, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, body: new URLSearchParams(form) });
  return { status: res.status, body: (await res.json()) as Record<string, unknown>, headers: res.headers };
}
