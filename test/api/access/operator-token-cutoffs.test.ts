import request from 'supertest';
import { loadAuthConfig } from '../../../src/auth/auth-config';
import { main as tokensCut, parseCutArgs } from '../../../src/cli/tokens-cut';
import { retentionHorizonMs } from '../../../src/smart/token-retention';
import { loadFixture, RPPS } from './fixture';
import { createAccessApp, type AccessApp } from './harness';
import { createTestIssuers, PSC, type TestIssuers } from './test-issuers';

// Issue 11, tokens we did not issue (left open until now as "needs a product decision"). Decision, written in
// src/access/README.md "Tokens": a configured issuer's tokens carry `iat` and live at most its `maxTokenLifetime`
// (default one hour, at most a day), so a stolen or careless token cannot outlive every revocation; and the operator ends
// at once every token naming one actor issued until now, whatever its issuer (`npm run tokens:cut`): a professional's
// stolen card session, a feeder's leaked secret, a patient's lost phone. Before, a Pro Santé Connect-like token minted for
// a year was served for a year, and nothing short of removing the whole issuer ended one professional's token.

let a: AccessApp;
let issuers: TestIssuers;
let dir: string;

beforeAll(async () => {
  issuers = await createTestIssuers('dmp-operator-cut');
  dir = issuers.dir;
  a = await createAccessApp({
    env: {
      // Read on every request: the test sees a cut-off at once (the default cache delays it by 3 s at most).
      TOKEN_CUTOFF_CACHE_MS: '0',
      AUTH_ISSUERS: issuers.issuersJson({ mints: { kinds: ['practitioner'] }, maxTokenLifetime: 600 }, { mints: { kinds: ['system'], categories: ['feeder'] } }),
    },
  });
  await loadFixture(a.service);
}, 120_000);
afterAll(async () => {
  await a?.close();
  issuers?.remove();
});

const nowS = () => Math.floor(Date.now() / 1000);
const token = (issuer: 'psc' | 'feeders', claims: Record<string, unknown>, o: { iat?: number | null; exp?: number } = {}): Promise<string> =>
  issuers.sign(issuer, claims, a.auth.audience, o);
const gpClaims = { dmp_kind: 'practitioner', rpps: RPPS.gp, scope: 'user/*.cruds' };
const get = async (bearer: string, url: string) => request(a.app).get(`/fhir${url}`).set('Authorization', `Bearer ${bearer}`);
const cut = async (...argv: string[]) => {
  const out: string[] = [];
  const code = await tokensCut(argv, { DATABASE_URL: a.testDb.url, DATA_DIR: dir }, (t) => void out.push(t));
  return { code, out: out.join('') };
};
const refused = (res: request.Response, message: RegExp) => {
  expect([res.status, res.body.resourceType, res.body.issue?.[0]?.diagnostics]).toEqual([401, 'OperationOutcome', expect.stringMatching(message)]);
  expect(res.headers['www-authenticate']).toMatch(/invalid_token/);
};

const pg = process.env.TEST_DATABASE_URL ? describe : describe.skip;
if (!process.env.TEST_DATABASE_URL) console.log('operator-token-cutoffs: the CLI needs PostgreSQL (TEST_DATABASE_URL); its cases were not run');

describe('a configured issuer\'s token lives no longer than the issuer\'s maxTokenLifetime', () => {
  it('within it: served (the comparison can fail)', async () => {
    const res = await get(await token('psc', gpClaims, { exp: nowS() + 590 }), '/Patient/p1');
    expect([res.status, res.body.id]).toEqual([200, 'p1']);
  });

  it('a token minted for a year: 401 naming the limit', async () => {
    refused(await get(await token('psc', gpClaims, { exp: nowS() + 365 * 86_400 }), '/Patient/p1'), /lives longer than its issuer's tokens may \(maxTokenLifetime 600 s\)/);
  });

  it('a token without iat (its lifetime unknown): 401', async () => {
    refused(await get(await token('psc', gpClaims, { iat: null }), '/Patient/p1'), /no issue time \(iat\)/);
  });

  it('a token issued in the future (beyond a minute of clock drift): 401', async () => {
    refused(await get(await token('psc', gpClaims, { iat: nowS() + 600, exp: nowS() + 900 }), '/Patient/p1'), /issued in the future/);
  });

  it('an issuer that says nothing gets an hour; a limit beyond a day or below a minute stops the start', () => {
    expect(a.auth.issuers.map((i) => i.maxTokenLifetime)).toEqual([600, 3600]);
    for (const bad of [86_401, 30, '600', 1.5]) {
      expect(() => loadAuthConfig({ AUTH_ISSUERS: JSON.stringify([{ issuer: PSC, jwks: 'x.json', mints: { kinds: ['practitioner'] }, maxTokenLifetime: bad }]) }, dir))
        .toThrow(/maxTokenLifetime must be a whole number of seconds from 60 to 86400/);
    }
  });

  it('cut-offs are kept as long as the longest configured lifetime (they would be pruned before a token they end expires)', () => {
    const own = retentionHorizonMs({ accessTokenTtlS: 300, loginTokenTtlS: 900 });
    expect(retentionHorizonMs({ accessTokenTtlS: 300, loginTokenTtlS: 900, externalTokenTtlS: 86_400 })).toBe(own);
    expect(retentionHorizonMs({ accessTokenTtlS: 60, loginTokenTtlS: 60, externalTokenTtlS: 7 * 86_400 })).toBeGreaterThan(7 * 86_400_000);
  });
});

pg('the operator ends every token naming one actor (npm run tokens:cut)', () => {
  it('a professional: his token of the professionals\' issuer is refused after the cut, whichever spelling of his identifier was cut; a new one works; others are untouched', async () => {
    const before = await token('psc', gpClaims);
    const colleague = await token('psc', { dmp_kind: 'practitioner', rpps: RPPS.spec, scope: 'user/*.cruds' });
    expect((await get(before, '/Patient/p1')).status).toBe(200);
    // Cut by his IdNat_PS ("8" + RPPS) while his token carries the bare RPPS: one person.
    const { code, out } = await cut('practitioner', `8${RPPS.gp}`, '--reason', 'carte CPS volée');
    expect(code).toBe(0);
    expect(out).toMatch(/tokens naming practitioner 8\d{11} issued until \d{4}-\d\d-\d\dT.*Z are refused/);
    refused(await get(before, '/Patient/p1'), /revoked by the operator/);
    expect((await get(colleague, '/Patient/p1')).status).toBe(200);
    await new Promise((r) => setTimeout(r, 1100)); // a new token's iat is a whole second after the cut-off
    const after = await token('psc', { ...gpClaims, rpps: undefined, idnat_ps: `8${RPPS.gp}` }, { iat: nowS() });
    expect([(await get(after, '/Patient/p1')).status]).toEqual([200]);
  });

  it('a feeder whose secret leaked: its tokens are refused, the reason is kept', async () => {
    const feeder = await token('feeders', { dmp_kind: 'system', client_id: 'lab-feeder', scope: 'system/*.c' });
    expect((await get(feeder, '/metadata')).status).toBe(200);
    const probe = await get(feeder, '/Patient?identifier=x');
    expect(probe.status).not.toBe(401);
    expect((await cut('system', 'lab-feeder', '--reason', 'secret leaked')).code).toBe(0);
    refused(await get(feeder, '/Patient?identifier=x'), /revoked by the operator/);
    const { rows } = await a.testDb.db.query<{ reason: string }>("SELECT reason FROM token_cutoff WHERE subject = 'Operator/system/lab-feeder'");
    expect(rows).toEqual([{ reason: 'operator: secret leaked' }]);
  });

  it('a patient\'s lost phone: development and sign-in tokens naming him both end', async () => {
    const dev = await a.token({ kind: 'patient', id: 'p2' });
    expect((await get(dev, '/Patient/p2')).status).toBe(200);
    expect((await cut('patient', 'p2', '--reason', 'téléphone perdu')).code).toBe(0);
    refused(await get(dev, '/Patient/p2'), /revoked by the operator/);
    const { rows } = await a.testDb.db.query<{ subject: string }>("SELECT subject FROM token_cutoff WHERE subject IN ('Operator/patient/p2', 'Patient/p2') ORDER BY subject");
    expect(rows.map((r) => r.subject)).toEqual(['Operator/patient/p2', 'Patient/p2']);
  });
});

describe('the command refuses what it cannot write as asked', () => {
  it.each([
    [['practitioner', RPPS.gp], /--reason is required/],
    [['nurse', RPPS.gp, '--reason', 'x'], /usage/],
    [['system', "x' OR 1=1", '--reason', 'x'], /usage/],
    [['practitioner', RPPS.gp, '--reason', 'x', '--force', 'y'], /unexpected --force/],
  ])('%j', (argv, message) => {
    expect(() => parseCutArgs(argv)).toThrow(message);
  });
});
