import request from 'supertest';
import { loadFixture } from './fixture';
import { createAccessApp, type AccessApp } from './harness';

// The password policy, through PUT /auth/password with the patient's own token: at least 12 characters, not the
// identifier, and a zxcvbn score of at least 3 (common and French dictionaries); the refusal says, in French, why and
// what to do.

let a: AccessApp;
let patientToken: string;

beforeAll(async () => {
  a = await createAccessApp();
  await loadFixture(a.service);
  patientToken = await a.token({ kind: 'patient', id: 'p1' });
}, 120_000);
afterAll(() => a.close());

const setPassword = (password: string, identifier = 'jeanne.martin') =>
  request(a.app).put('/auth/password').set('Authorization', `Bearer ${patientToken}`).send({ identifier, password });
const diagnostics = (res: request.Response): string => res.body.issue[0].diagnostics;

test.each(['aaaaaaaaaaaa', '123456789012', 'motdepasse123', 'azertyuiopqs', 'jeanne.martin2024!', 'Jeanne.Martin2024!'])(
  'refuses the guessable password %j with a 422 OperationOutcome in French',
  async (password) => {
    const res = await setPassword(password);
    expect(res.status).toBe(422);
    expect(res.body.resourceType).toBe('OperationOutcome');
    expect(diagnostics(res)).toMatch(/^(Ce mot de passe est trop facile à deviner : |Le mot de passe ne doit pas contenir votre identifiant)/);
  },
);

test('tells why with the French feedback: repeated characters, a keyboard row, a common password', async () => {
  expect(diagnostics(await setPassword('aaaaaaaaaaaa'))).toMatch(/caractères répétés/);
  expect(diagnostics(await setPassword('azertyuiopqs'))).toMatch(/touches de votre clavier/);
  expect(diagnostics(await setPassword('123456789012'))).toMatch(/couramment utilisé/);
  expect(diagnostics(await setPassword('motdepasse123'))).toMatch(/Choisissez une phrase de passe plus longue/);
});

test('refuses a password containing the identifier, whatever its case and accents', async () => {
  const res = await setPassword('Hélène-Dupont-Lune-42', 'helene-dupont');
  expect(res.status).toBe(422);
  expect(diagnostics(res)).toBe('Le mot de passe ne doit pas contenir votre identifiant. Choisissez-en un autre, par exemple plusieurs mots sans lien entre eux.');
});

test('refuses a password shorter than 12 characters, saying so', async () => {
  const res = await setPassword('Lune-Velo-4');
  expect(res.status).toBe(422);
  expect(diagnostics(res)).toMatch(/au moins 12 caractères/);
});

test.each(['correct horse battery', 'Lune-Orange-Velo-42', 'girafe escalier tambour'])('accepts the long passphrase %j', async (password) => {
  expect((await setPassword(password)).status).toBe(204);
}, 30_000);

test('a refused password leaves the previous one in place', async () => {
  expect((await setPassword('Lune-Orange-Velo-42')).status).toBe(204);
  expect((await setPassword('motdepasse123')).status).toBe(422);
  const login = await request(a.app).post('/auth/login').send({ identifier: 'jeanne.martin', password: 'Lune-Orange-Velo-42' });
  expect(login.status).toBe(200);
}, 30_000);
