import request from 'supertest';
import { parisDay, parisMidnight } from '../../../src/access/guardian-rules';
import { PORTAL_CLIENT_ID } from '../../../src/portal/client-id';
import { PORTAL_SCOPE } from '../../../src/portal/sign-in';
import { sql } from '../../../src/store/sql';
import { authorizeUrl, Browser, newVerifier, signInAndConsent, tokenRequest, type Person } from '../smart/launch-driver';
import { PASSWORD, startSmartApp, type SmartApp } from '../smart/smart-app';
import { systemContext } from './fixture';
import { parisTomorrow, paulsLinkToJeanne as rp1, seedMinorTurning18 } from './guardian-cases';

// Issue 11: a guardian's right that ends with time alone — his link's period end passes, the child turns 18 before the
// hourly hand-over job runs — records no event and so no cut-off. The rules already give him nothing from that instant,
// but his token was still accepted: his writes got 403 instead of a dead session, `PUT /auth/password` answered, and a
// token refreshed after the end was as good as one before. Now the verifier decides from the stored period end and the
// child's birth date at each request, against the clock (injected here, moved past the end; no job, no timer): 401
// `invalid_token` with the French message, on every path the token can take (FHIR reads, Consent writes, operations,
// the account route; the portal calls the same API with the same token). A token issued before its account holder's
// 18th birthday dies at it too. Paul Durand (p2) is the guardian; TOKEN_CUTOFF_CACHE_MS is 0.

const DAY = 86_400_000;
let s: SmartApp;
let offsetMs = 0;

beforeAll(async () => {
  s = await startSmartApp(0, { TOKEN_CUTOFF_CACHE_MS: '0' }, { clock: () => new Date(Date.now() + offsetMs) });
}, 120_000);
afterAll(() => s?.close());
afterEach(() => {
  offsetMs = 0;
});

const paul = (record: string): Person => ({ identifier: 'paul.durand', password: PASSWORD, code: () => s.lastCode(), record });

/** The portal's own token (client dmp-portal, `patient/*.cruds`): the one that writes and runs the account's procedures. */
async function portalToken(person: Person): Promise<string> {
  const verifier = newVerifier();
  const redirectUri = `${s.url}/portal/callback`;
  const back = await signInAndConsent(new Browser(), s.url, authorizeUrl(`${s.url}/auth/authorize`, { clientId: PORTAL_CLIENT_ID, redirectUri, scope: PORTAL_SCOPE, aud: s.fhirBase, state: 'st', verifier }), person);
  const res = await tokenRequest(s.tokenUrl, { grant_type: 'authorization_code', code: back.searchParams.get('code') as string, redirect_uri: redirectUri, client_id: PORTAL_CLIENT_ID, code_verifier: verifier });
  expect(res.status).toBe(200);
  return res.body.access_token as string;
}

async function loginToken(identifier: string): Promise<string> {
  const started = await request(s.a.app).post('/auth/login').send({ identifier, password: PASSWORD });
  expect(started.status).toBe(200);
  const done = await request(s.a.app).post('/auth/otp').send({ challenge: started.body.challenge, code: s.lastCode() });
  expect(done.status).toBe(200);
  return done.body.access_token as string;
}

const get = (token: string, path: string) => request(s.a.app).get(`/fhir/${path}`).set('Authorization', `Bearer ${token}`);
const post = (token: string, path: string, body: object) =>
  request(s.a.app).post(`/fhir/${path}`).set('Authorization', `Bearer ${token}`).set('Content-Type', 'application/fhir+json').send(body);

function expectSessionEnded(res: request.Response, what: string): void {
  expect([what, res.status, res.headers['www-authenticate']?.includes('error="invalid_token"'), res.body.issue?.[0]?.code]).toEqual([what, 401, true, 'login']);
  expect(res.body.issue[0].diagnostics).toMatch(/^Votre session a pris fin .*droits de représentant légal terminés.*: reconnectez-vous\.$/);
}

/** Moves the server's clock to `at` (plus `deltaMs`). */
const moveClockTo = (at: Date, deltaMs: number) => {
  offsetMs = at.getTime() + deltaMs - Date.now();
};

const count = async (type: string): Promise<number> =>
  (await s.a.testDb.db.query<{ n: number }>(sql`SELECT count(*)::int AS n FROM resource WHERE type = ${type} AND NOT deleted`)).rows[0].n;
/** Cut-offs of a subject written at or after `since`: none, the end is decided from the stored facts alone. */
const cutoffsOf = async (subject: string, since: Date): Promise<number> =>
  (await s.a.testDb.db.query<{ n: number }>(sql`SELECT count(*)::int AS n FROM token_cutoff WHERE subject = ${subject} AND cut_at >= ${since.toISOString()}::timestamptz`)).rows[0].n;

/** Every path a guardian's portal token takes, with the child p: read, search, Consent write, operation, account route. */
async function everyPath(token: string, p: string): Promise<request.Response[]> {
  return [
    await get(token, `Patient/${p}`),
    await get(token, `Consent?patient=${p}`),
    await post(token, 'Consent', { resourceType: 'Consent', status: 'active', scope: { coding: [{ code: 'patient-privacy' }] }, category: [{ coding: [{ code: '59284-0', system: 'http://loinc.org' }] }],
      patient: { reference: `Patient/${p}` }, provision: { type: 'deny', actor: [{ reference: { identifier: { system: 'urn:oid:1.2.250.1.71.4.2.1', value: '810001234567' } } }] } }),
    await post(token, `Patient/${p}/$change-contact`, { resourceType: 'Parameters', parameter: [{ name: 'system', valueString: 'email' }, { name: 'value', valueString: 'paul.nouveau@example.org' }] }),
    await request(s.a.app).put('/auth/password').set('Authorization', `Bearer ${token}`).send({ identifier: 'paul.durand', password: 'un tout nouveau mot de passe' }),
  ];
}
const PATHS = ['read', 'search', 'Consent write', '$change-contact', 'PUT /auth/password'];

describe("a guardian link whose period's end passes", () => {
  // Paul's link to Jeanne (rp1, p1 is a minor) is recorded "until today" (Paris): it ends at the next Paris midnight.
  afterEach(async () => {
    await s.a.service.repo.update(systemContext(), rp1());
  });

  test('refuses his token from that instant with 401 on every path, writing no cut-off; his own record stays his', async () => {
    const today = parisDay(new Date());
    await s.a.service.repo.update(systemContext(), rp1({ period: { end: today } }));
    const forChild = await portalToken(paul('Martin'));
    const own = await portalToken(paul('Mon dossier'));
    const issued = new Date();
    const end = parisMidnight(parisDay(new Date(parisMidnight(today).getTime() + DAY + 3_600_000)));

    moveClockTo(end, -2_000);
    expect((await get(forChild, 'Patient/p1')).status).toBe(200);

    moveClockTo(end, 2_000);
    const consents = await count('Consent');
    const answers = await everyPath(forChild, 'p1');
    answers.forEach((res, i) => expectSessionEnded(res, PATHS[i]));
    expect(await count('Consent')).toBe(consents);
    expect(await cutoffsOf('RelatedPerson/rp1', issued)).toBe(0);
    expect((await get(own, 'Patient/p2')).status).toBe(200);
  });
});

describe('a child who turns 18 before the hand-over job runs', () => {
  // Léa Roux turns 18 tomorrow (Paris); her father Paul (rpl) acts for her today and she signs in with credentials set
  // while she is a minor. The hand-over job does not run: nothing records the majority.
  const tomorrow = parisTomorrow();
  beforeAll(() => seedMinorTurning18(s, { id: 'lea', ins13: '2081275123457', family: 'Roux', given: 'Lea', guardianId: 'rpl' }));

  test("refuses the father's token and hers issued before the birthday, from its first second; another link's token works", async () => {
    const forLea = await portalToken(paul('Roux'));
    const forJeanne = await portalToken(paul('Martin'));
    const leas = await loginToken('lea');
    const issued = new Date();
    const majority = parisMidnight(tomorrow);

    moveClockTo(majority, -2_000);
    expect((await get(forLea, 'Patient/lea')).status).toBe(200);
    expect((await get(leas, 'Patient/lea')).status).toBe(200);

    moveClockTo(majority, 2_000);
    const answers = await everyPath(forLea, 'lea');
    answers.forEach((res, i) => expectSessionEnded(res, PATHS[i]));
    expectSessionEnded(await get(leas, 'Patient/lea'), "Léa's own token issued before her majority");
    expect(await cutoffsOf('RelatedPerson/rpl', issued)).toBe(0);
    expect(await cutoffsOf('Patient/lea', issued)).toBe(0);
    expect((await get(forJeanne, 'Patient/p1')).status).toBe(200);
  });
});
