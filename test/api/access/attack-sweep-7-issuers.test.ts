import request from 'supertest';
import { loadAuthConfig } from '../../../src/auth/auth-config';
import { loadFixture, RPPS } from './fixture';
import { createAccessApp, type AccessApp } from './harness';
import { createTestIssuers, type TestIssuers } from './test-issuers';

// Issue 11's outside check, sweep 7: configured token issuers (AUTH_ISSUERS).
// Rule (README "Tokens", closed by default): each AUTH_ISSUERS entry declares what its tokens may name — `mints.kinds`,
// `mints.categories` for system tokens (a system token without a category is a `feeder`), `mints.roles` (SAMU
// regulation, identity verification, directory administration), each explicitly. An entry without `mints` stops the
// server at start with a message saying what to add; a token naming more than its issuer's declaration answers 401 with
// an OperationOutcome. Found: an issuer trusted for professionals (Pro Santé Connect-like) could mint a patient token
// (the whole record), a feeder, the Assurance Maladie, or a directory administrator.

let a: AccessApp;
let issuers: TestIssuers;
let dir: string;
const issuersJson = (psc: object, feeders: object) => issuers.issuersJson(psc, feeders);

beforeAll(async () => {
  issuers = await createTestIssuers('dmp-sweep7-iss');
  dir = issuers.dir;
  a = await createAccessApp({
    env: {
      DEV_AUTH: undefined,
      AUTH_ISSUERS: issuersJson({ mints: { kinds: ['practitioner'], roles: ['samu-regulator'] } }, { mints: { kinds: ['system'], categories: ['feeder'] } }),
    },
  });
  await loadFixture(a.service);
}, 120_000);
afterAll(async () => {
  await a?.close();
  issuers?.remove();
});

const token = (issuer: 'psc' | 'feeders', claims: Record<string, unknown>): Promise<string> => issuers.sign(issuer, claims, a.auth.audience);
const get = async (bearer: string, url: string) => request(a.app).get(`/fhir${url}`).set('Authorization', `Bearer ${bearer}`);

describe('a professionals\' issuer mints professionals only', () => {
  it.each([
    ['a patient token (the whole record)', { dmp_kind: 'patient', patient: 'p1', scope: 'patient/*.rs' }, /not trusted for patient tokens/],
    ['a guardian token', { dmp_kind: 'guardian', fhirUser: 'RelatedPerson/rp1', scope: 'patient/*.rs' }, /not trusted for guardian tokens/],
    ['a feeder', { dmp_kind: 'system', client_id: 'lab-feeder', scope: 'system/*.c' }, /not trusted for system tokens/],
    ['a directory administrator', { dmp_kind: 'practitioner', rpps: RPPS.spec, role: 'directory-admin', scope: 'user/*.cruds' }, /not trusted for the role directory-admin/],
    ['an identity verifier', { dmp_kind: 'practitioner', rpps: RPPS.spec, role: 'identity-verifier', scope: 'user/*.cruds' }, /not trusted for the role identity-verifier/],
    ['a practitioner of the Assurance Maladie category', { dmp_kind: 'practitioner', rpps: RPPS.spec, category: 'assurance-maladie', scope: 'user/*.cruds' }, /not trusted for tokens of category assurance-maladie/],
  ])('%s: 401 with an OperationOutcome', async (_what, claims, message) => {
    const res = await get(await token('psc', claims), '/Patient/p1');
    expect([res.status, res.body.resourceType, res.body.issue?.[0]?.diagnostics]).toEqual([401, 'OperationOutcome', expect.stringMatching(message)]);
    expect(res.headers['www-authenticate']).toMatch(/invalid_token/);
  });

  it('its professionals, and its SAMU regulators, are served (the comparison can fail)', async () => {
    const gp = await get(await token('psc', { dmp_kind: 'practitioner', rpps: RPPS.gp, scope: 'user/*.cruds' }), '/Patient/p1');
    expect([gp.status, gp.body.id]).toEqual([200, 'p1']);
    const samu = await get(await token('psc', { idnat_ps: '810000000066', Acces_Regulation_Medicale: 'VRAI', scope: 'user/*.rs' }), '/Practitioner/gp');
    expect(samu.status).toBe(200);
  });

  it('an excluded category only takes rights away: declared or not, the token is refused everything (403)', async () => {
    const res = await get(await token('psc', { dmp_kind: 'practitioner', rpps: '10000000044', category: 'insurer', scope: 'user/*.cruds' }), '/Practitioner/gp');
    expect(res.status).toBe(403);
  });
});

describe('a feeders\' issuer mints feeders only', () => {
  it.each([
    ['the Assurance Maladie', { client_id: 'cnam', category: 'assurance-maladie', scope: 'system/*.c' }, /not trusted for tokens of category assurance-maladie/],
    ['a directory administrator system', { client_id: 'annuaire', role: 'directory-admin', scope: 'system/*.cruds' }, /not trusted for the role directory-admin/],
    ['a practitioner', { dmp_kind: 'practitioner', rpps: RPPS.gp, scope: 'user/*.cruds' }, /not trusted for practitioner tokens/],
  ])('%s: 401', async (_what, claims, message) => {
    const res = await get(await token('feeders', claims), '/Practitioner/gp');
    expect([res.status, res.body.issue?.[0]?.diagnostics]).toEqual([401, expect.stringMatching(message)]);
  });

  it('a feeder, with or without the category claim, is served (the comparison can fail)', async () => {
    for (const claims of [{ client_id: 'lab-feeder', scope: 'system/*.cruds' }, { client_id: 'lab-feeder', category: 'feeder', scope: 'system/*.cruds' }]) {
      expect((await get(await token('feeders', claims), '/Practitioner/gp')).status).toBe(200);
    }
  });
});

describe('an entry that does not declare what it mints stops the server at start', () => {
  it.each([
    ['no mints', {}, /AUTH_ISSUERS\[0\] \(https:\/\/psc\.example\) must declare what its tokens may name/],
    ['no kinds', { mints: { roles: [] } }, /AUTH_ISSUERS\[0\] \(https:\/\/psc\.example\)\.mints\.kinds must be a JSON array of patient, guardian, practitioner, system/],
    ['an unknown kind', { mints: { kinds: ['admin'] } }, /mints\.kinds must be a JSON array/],
    ['an unknown role', { mints: { kinds: ['practitioner'], roles: ['superuser'] } }, /mints\.roles must be a JSON array of samu-regulator, identity-verifier, directory-admin/],
    ['system tokens without their categories', { mints: { kinds: ['system'] } }, /mints\.categories must name the categories of its system tokens/],
  ])('%s: refused with a message saying what to add (the configuration the wiring loads first)', (_what, psc, message) => {
    expect(() => loadAuthConfig({ AUTH_ISSUERS: issuersJson(psc, { mints: { kinds: ['system'], categories: ['feeder'] } }) }, dir)).toThrow(message);
  });
});
