import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Express } from 'express';
import request from 'supertest';
import { accessWiring } from '../../../src/access/wiring';
import { createApp } from '../../../src/app';
import { pruneSourceHits } from '../../../src/auth/source-hits';
import { loadConfig } from '../../../src/config';
import { createLogger } from '../../../src/logger';
import { smartWiring } from '../../../src/smart/wiring';
import type { Db } from '../../../src/store/db';
import { PgDb } from '../../../src/store/pg-db';
import { sql } from '../../../src/store/sql';
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

test('a signed-in patient walking through identifiers with PUT /auth/password (409 « déjà utilisé ») is counted like a spray', async () => {
  const token = await a.token({ kind: 'patient', id: 'p2' });
  const choose = (identifier: string) => request(a.app).put('/auth/password').set('X-Forwarded-For', '203.0.113.99').set('Authorization', `Bearer ${token}`).send({ identifier, password: PASSWORD });
  // 'jeanne' is p1's: each try answers 409 and counts; after the limit, 429 whatever the identifier.
  for (let i = 0; i < 4; i++) expect([i, (await choose('jeanne')).status]).toEqual([i, 409]);
  const refused = await choose('jeanne');
  expect(refused.status).toBe(429);
  expect(refused.body.issue[0].diagnostics).toMatch(/^Trop de tentatives de connexion ont échoué depuis votre adresse réseau\./);
});

test('another address is not affected', async () => {
  const res = await request(a.app).post('/auth/login').set('X-Forwarded-For', '203.0.113.7').send({ identifier: 'jeanne', password: PASSWORD });
  // Behind the loopback proxy (trust proxy: loopback) the forwarded address is the client's own.
  expect(res.status).toBe(200);
});

describe('two server processes on one database', () => {
  // A second app instance built like the first (its own wiring, its own connection pool on PostgreSQL): what a second
  // process behind a balancer is. Its count must be the first's: one address may not get the limit once per process.
  let b: { app: Express; close(): Promise<void> };
  const from = (app: Express, address: string) => ({
    login: (identifier: string, password: string) => request(app).post('/auth/login').set('X-Forwarded-For', address).send({ identifier, password }),
  });

  beforeAll(async () => {
    const db: Db = a.testDb.url ? new PgDb(a.testDb.url, 2) : a.testDb.db;
    const dataDir = mkdtempSync(path.join(tmpdir(), 'dmp-throttle-'));
    const deps = { config: loadConfig({}, { logLevel: 'silent', dataDir }), db, logger: createLogger('silent'), env: a.env };
    const access = await accessWiring(deps);
    const smart = await smartWiring(deps);
    const built = createApp({ config: deps.config, db, logger: deps.logger, hooks: access.hooks, operations: access.operations, oauthUris: smart.oauthUris, routes: (x, s) => { smart.routes?.(x, s); access.routes?.(x, s); } });
    b = { app: built.app, close: async () => { await access.close?.(); if (db !== a.testDb.db) await db.close(); rmSync(dataDir, { recursive: true, force: true }); } };
  }, 60_000);
  afterAll(() => b?.close());

  test('the failures one address makes on either process count once, together: the limit is global', async () => {
    const address = '198.51.100.20';
    // 2 failures on each process: 4, the limit.
    for (const app of [a.app, b.app, a.app, b.app]) expect((await from(app, address).login('personne', 'Motdepasse123!')).status).toBe(401);
    for (const app of [a.app, b.app]) {
      const refused = await from(app, address).login('jeanne', PASSWORD);
      expect(refused.status).toBe(429);
      expect(refused.body.issue[0].diagnostics).toMatch(/^Trop de tentatives de connexion ont échoué depuis votre adresse réseau\. Réessayez dans \d+ minutes?\.$/);
      expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
      expect(Number(refused.headers['retry-after'])).toBeLessThanOrEqual(600);
    }
    // Another address is counted on its own, on both processes.
    expect((await from(b.app, '198.51.100.21').login('jeanne', PASSWORD)).status).toBe(200);
  });

  test('successes never count, and the answers carry no RateLimit headers (a known and an unknown identifier answer alike)', async () => {
    const address = '198.51.100.30';
    for (let i = 0; i < 5; i++) expect((await from(i % 2 ? b.app : a.app, address).login('jeanne', PASSWORD)).status).toBe(200);
    const known = await from(b.app, address).login('jeanne', 'faux-mot-de-passe');
    const unknown = await from(a.app, address).login('inconnu', 'faux-mot-de-passe');
    for (const res of [known, unknown]) {
      expect(res.status).toBe(401);
      expect(Object.keys(res.headers).filter((h) => /ratelimit/i.test(h))).toEqual([]);
    }
    // 2 failures so far from this address, none of the 5 successes: 2 more are allowed, the next is refused.
    expect((await from(b.app, address).login('x1', 'y')).status).toBe(401);
    expect((await from(a.app, address).login('x2', 'y')).status).toBe(401);
    expect((await from(b.app, address).login('jeanne', PASSWORD)).status).toBe(429);
  });

  test('a count is one row per address in PostgreSQL, and the purge job removes it once its window has ended', async () => {
    const rows = async () => (await a.testDb.db.query<{ key: string; hits: number }>(sql`SELECT key, hits FROM signin_source_hit WHERE key LIKE ${'%198.51.100.%'} ORDER BY key`)).rows;
    expect((await rows()).map((r) => r.key)).toEqual(expect.arrayContaining([expect.stringContaining('198.51.100.20'), expect.stringContaining('198.51.100.30')]));
    expect(await pruneSourceHits(a.testDb.db, new Date())).toBe(0);
    // 600 s window: an hour later every window has ended; the rows answer as no row and are deleted.
    const later = new Date(Date.now() + 3600_000);
    expect(await pruneSourceHits(a.testDb.db, later, true)).toBeGreaterThanOrEqual(2);
    expect(await pruneSourceHits(a.testDb.db, later)).toBeGreaterThanOrEqual(2);
    expect(await rows()).toEqual([]);
  });
});
