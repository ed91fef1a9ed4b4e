import request from 'supertest';
import { setPatientCredential } from '../../../src/auth/patient-login';
import { loadFixture } from './fixture';
import { createAccessApp, type AccessApp } from './harness';

// Password spraying: the per-identifier lock stops guessing one account; one address trying a common password on many
// identifiers, or walking activation codes, is stopped by a counter per client address over every path that checks a
// guessable secret (src/auth/source-throttle.ts). Only failures count. Limit 4 here (SIGNIN_SOURCE_LIMIT).

const PASSWORD = 'Lune-Orange-Velo-42';
let a: AccessApp;

beforeAll(async () => {
  a = await createAccessApp({ env: { SIGNIN_SOURCE_LIMIT: '4', SIGNIN_SOURCE_WINDOW_SECONDS: '600' } });
  await loadFixture(a.service);
  await setPatientCredential(a.testDb.db, { login: 'jeanne', patientId: 'p1', password: PASSWORD, scrypt: { N: 1024, r: 8, p: 1 } });
}, 120_000);
afterAll(() => a.close());

test('a patient who signs in is never slowed: successful steps do not count', async () => {
  for (let i = 0; i < 6; i++) expect((await request(a.app).post('/auth/login').send({ identifier: 'jeanne', password: PASSWORD })).status).toBe(200);
});

test('one address trying a password on many identifiers is refused after the limit (429, French, Retry-After), on every sign-in path', async () => {
  for (let i = 0; i < 4; i++) {
    const res = await request(a.app).post('/auth/login').send({ identifier: `inconnu${i}`, password: 'Motdepasse123!' });
    expect([i, res.status]).toEqual([i, 401]);
  }
  const refused = await request(a.app).post('/auth/login').send({ identifier: 'inconnu9', password: 'Motdepasse123!' });
  expect(refused.status).toBe(429);
  expect(refused.body).toMatchObject({ resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'throttled' }] });
  expect(refused.body.issue[0].diagnostics).toMatch(/^Trop de tentatives de connexion ont échoué depuis votre adresse réseau\. Réessayez dans \d+ minutes?\.$/);
  expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
  expect(Number(refused.headers['retry-after'])).toBeLessThanOrEqual(600);
  // The same counter on the other paths: the right password, an activation code, the authorization form.
  expect((await request(a.app).post('/auth/login').send({ identifier: 'jeanne', password: PASSWORD })).status).toBe(429);
  expect((await request(a.app).post('/auth/activate').send({ patient: 'p1', activation_code: 'AAAA-BBBB-CCCC', identifier: 'x', password: PASSWORD })).status).toBe(429);
  const form = await request(a.app).post('/auth/authorize/login').type('form').send({ tx: 'x', csrf: 'y', identifier: 'jeanne', password: PASSWORD });
  expect(form.status).toBe(429);
  expect(form.headers['content-type']).toMatch(/text\/html/);
  expect(form.text).toContain('<html lang="fr">');
  expect(form.text).toContain('Trop de tentatives de connexion ont échoué depuis votre adresse réseau.');
  // Paths that check no secret are not throttled.
  expect((await request(a.app).get('/auth/jwks')).status).toBe(200);
});

test('another address is not affected', async () => {
  const res = await request(a.app).post('/auth/login').set('X-Forwarded-For', '203.0.113.7').send({ identifier: 'jeanne', password: PASSWORD });
  // Behind the loopback proxy (trust proxy: loopback) the forwarded address is the client's own.
  expect(res.status).toBe(200);
});
