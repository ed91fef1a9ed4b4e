import request from 'supertest';
import { setPatientCredential } from '../../../src/auth/patient-login';
import { sql } from '../../../src/store/sql';
import { INS_NIR, loadFixture, RPPS } from './fixture';
import { createAccessApp, type AccessApp } from './harness';

// Issue 12, creation channels and credentials: the activation code issued when a record is created (answered to a
// professional creator, e-mailed to the patient), and the password reset. The clock is the test's.

let a: AccessApp;
let nowMs = Date.parse('2026-03-01T10:00:00Z');
const FAST = { N: 1024, r: 8, p: 1 };
const PASSWORD = 'correct horse battery';
const FHIR = 'application/fhir+json';

beforeAll(async () => {
  a = await createAccessApp({ clock: () => new Date(nowMs), scrypt: FAST });
  await loadFixture(a.service);
}, 120_000);
afterAll(() => a.close());

const bearer = async (kind: 'patient' | 'practitioner', id: string) => `Bearer ${await a.token({ kind, id })}`;
const newPatient = (ins: string, email?: string) => ({
  resourceType: 'Patient',
  identifier: [{ system: INS_NIR, value: ins }],
  name: [{ family: 'Nouveau', given: ['Test'] }],
  gender: 'female',
  birthDate: '1980-01-01',
  ...(email ? { telecom: [{ system: 'email', value: email }] } : {}),
});
const create = async (who: string, body: object) => request(a.app).post('/fhir/Patient').set('Authorization', who).set('Content-Type', FHIR).send(body);
const activate = (body: object) => request(a.app).post('/auth/activate').send(body);

async function outbox(kind: string, recipient?: string): Promise<{ recipient: string; body: string }[]> {
  const { rows } = await a.testDb.db.query<{ recipient: string; body: string }>(sql`SELECT recipient, body FROM notify_outbox WHERE kind = ${kind} ORDER BY id DESC`);
  return rows.filter((r) => !recipient || r.recipient === recipient);
}

describe('activation', () => {
  test('a record created by a professional answers its activation code once; with it the patient sets his credential and signs in', async () => {
    const created = await create(await bearer('practitioner', RPPS.gp), newPatient('280017512345610', 'paper@example.org'));
    expect(created.status).toBe(201);
    const code = created.headers['x-activation-code'];
    expect(code).toMatch(/^[A-HJKMNP-Z2-9]{4}-[A-HJKMNP-Z2-9]{4}-[A-HJKMNP-Z2-9]{4}$/);
    expect(created.headers['cache-control']).toBe('no-store');
    const id = created.body.id as string;
    // Never on a later read.
    const read = await request(a.app).get(`/fhir/Patient/${id}`).set('Authorization', await bearer('practitioner', RPPS.gp));
    expect(read.headers['x-activation-code']).toBeUndefined();
    // Also sent to the e-mail of the record, in French.
    const [mail] = await outbox('activation', 'paper@example.org');
    expect(mail.body).toContain(code);
    expect(mail.body).toMatch(/valable jusqu’au 31 mars 2026/);
    // Typed from paper: lower case and spaces are fine.
    const done = await activate({ patient: id, activation_code: code.toLowerCase().replace(/-/g, ' '), identifier: 'nouveau.patient', password: PASSWORD });
    expect(done.status).toBe(200);
    const login = await request(a.app).post('/auth/login').send({ identifier: 'nouveau.patient', password: PASSWORD });
    expect(login.status).toBe(200);
    // Single use: typed again, it says when it was used (409, attack-sweep-7-account.test.ts).
    expect((await activate({ patient: id, activation_code: code, identifier: 'autre.identifiant', password: PASSWORD })).status).toBe(409);
  });

  test('the patient creating his own record gets the code by e-mail only, never in the answer', async () => {
    const ins = '185027512345625';
    const created = await create(await bearer('patient', ins), newPatient(ins, 'self@example.org'));
    expect(created.status).toBe(201);
    expect(created.headers['x-activation-code']).toBeUndefined();
    const [mail] = await outbox('activation', 'self@example.org');
    const code = /\b([A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4})\b/.exec(mail.body)![1];
    // The record may be named by its INS.
    expect((await activate({ patient_ins: ins, activation_code: code, identifier: 'moi.meme', password: PASSWORD })).status).toBe(200);
  });

  test('an unknown record and a wrong code get the same answer, and both lock after five failures', async () => {
    const created = await create(await bearer('practitioner', RPPS.gp), newPatient('290017512345704'));
    const id = created.body.id as string;
    const code = created.headers['x-activation-code'];
    const wrongCode = await activate({ patient: id, activation_code: 'AAAA-AAAA-AAAA', identifier: 'victime', password: PASSWORD });
    const unknown = await activate({ patient: 'no-such-record', activation_code: 'AAAA-AAAA-AAAA', identifier: 'victime', password: PASSWORD });
    expect(wrongCode.status).toBe(400);
    expect(unknown.status).toBe(400);
    expect(wrongCode.body).toEqual(unknown.body);
    for (let i = 0; i < 4; i++) {
      await activate({ patient: id, activation_code: 'AAAA-AAAA-AAAA', identifier: 'victime', password: PASSWORD });
      await activate({ patient: 'no-such-record', activation_code: 'AAAA-AAAA-AAAA', identifier: 'victime', password: PASSWORD });
    }
    const locked = await activate({ patient: id, activation_code: code, identifier: 'victime', password: PASSWORD });
    const lockedUnknown = await activate({ patient: 'no-such-record', activation_code: code, identifier: 'victime', password: PASSWORD });
    expect(locked.status).toBe(423);
    expect(lockedUnknown.status).toBe(423);
    expect(locked.headers['retry-after']).toBe(lockedUnknown.headers['retry-after']);
    // The lock ends after an hour; the right code then works.
    nowMs += 3600_000 + 1000;
    expect((await activate({ patient: id, activation_code: code, identifier: 'victime', password: PASSWORD })).status).toBe(200);
  });

  test('a refused password (422) or identifier (409) leaves the code usable', async () => {
    const created = await create(await bearer('practitioner', RPPS.gp), newPatient('292037512345636'));
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    const code = created.headers['x-activation-code'];
    expect((await activate({ patient: id, activation_code: code, identifier: 'faible', password: 'azertyuiop' })).status).toBe(422);
    // Held by the record activated in the first test.
    expect((await activate({ patient: id, activation_code: code, identifier: 'nouveau.patient', password: PASSWORD })).status).toBe(409);
    expect((await activate({ patient: id, activation_code: code, identifier: 'enfin.libre', password: PASSWORD })).status).toBe(200);
  });

  test('an activation code expires after 30 days', async () => {
    const created = await create(await bearer('practitioner', RPPS.gp), newPatient('294057512345667'));
    const code = created.headers['x-activation-code'];
    nowMs += 30 * 24 * 3600_000 + 1000;
    expect((await activate({ patient: created.body.id, activation_code: code, identifier: 'tardif', password: PASSWORD })).status).toBe(400);
  });
});

describe('password reset', () => {
  const reset = (identifier: string) => request(a.app).post('/auth/reset').send({ identifier });
  const confirm = (identifier: string, code: string, password: string) => request(a.app).post('/auth/reset/confirm').send({ identifier, code, password });
  const NEW_PASSWORD = 'velo rouge sous la pluie';

  beforeEach(async () => {
    nowMs += 2 * 3600_000; // a new hour: the request limit starts again
    await setPatientCredential(a.testDb.db, { login: 'jeanne', patientId: 'p1', password: PASSWORD, scrypt: FAST });
  });

  async function sentResetCode(): Promise<string> {
    const [row] = await outbox('password-reset', 'patient@example.org');
    return /\b(\d{6})\b/.exec(row.body)![1];
  }

  test('known and unknown identifiers get the same 202; the known one receives a code, and the new password works', async () => {
    const before = (await outbox('password-reset')).length;
    const known = await reset('jeanne');
    const unknown = await reset('personne');
    expect(known.status).toBe(202);
    expect(unknown.status).toBe(202);
    expect(known.body).toEqual(unknown.body);
    expect((await outbox('password-reset')).length).toBe(before + 1);
    const code = await sentResetCode();
    expect((await confirm('jeanne', code, NEW_PASSWORD)).status).toBe(200);
    expect((await request(a.app).post('/auth/login').send({ identifier: 'jeanne', password: PASSWORD })).status).toBe(401);
    expect((await request(a.app).post('/auth/login').send({ identifier: 'jeanne', password: NEW_PASSWORD })).status).toBe(200);
    const [told] = await outbox('password-changed', 'patient@example.org');
    expect(told.body).toMatch(/Le mot de passe de votre dossier médical partagé a été modifié le \d+ \w+ 2026 à \d\d:\d\d/);
    // Single use.
    expect((await confirm('jeanne', code, 'encore un autre mot de passe')).status).toBe(400);
  });

  test('a wrong code and an unknown identifier get the same answer; three wrong guesses burn the code', async () => {
    await reset('jeanne');
    const code = await sentResetCode();
    const wrong = code === '000000' ? '111111' : '000000';
    const first = await confirm('jeanne', wrong, NEW_PASSWORD);
    const unknown = await confirm('personne', wrong, NEW_PASSWORD);
    expect(first.status).toBe(400);
    expect(unknown.body).toEqual(first.body);
    await confirm('jeanne', wrong, NEW_PASSWORD);
    await confirm('jeanne', wrong, NEW_PASSWORD);
    const burnt = await confirm('jeanne', code, NEW_PASSWORD);
    expect(burnt.status).toBe(400);
    expect(burnt.body).toEqual(first.body);
  });

  test('a reset code expires after 15 minutes', async () => {
    await reset('jeanne');
    const code = await sentResetCode();
    nowMs += 15 * 60_000 + 1000;
    expect((await confirm('jeanne', code, NEW_PASSWORD)).status).toBe(400);
  });

  test('at most three codes are sent per identifier and hour, with the same answer', async () => {
    const before = (await outbox('password-reset')).length;
    for (let i = 0; i < 4; i++) expect((await reset('jeanne')).status).toBe(202);
    expect((await outbox('password-reset')).length).toBe(before + 3);
  });

  test('a password policy refusal keeps the code; a reset clears the sign-in lock', async () => {
    for (let i = 0; i < 5; i++) await request(a.app).post('/auth/login').send({ identifier: 'jeanne', password: 'mauvais mot de passe' });
    expect((await request(a.app).post('/auth/login').send({ identifier: 'jeanne', password: PASSWORD })).status).toBe(423);
    await reset('jeanne');
    const code = await sentResetCode();
    expect((await confirm('jeanne', code, 'jeanne123456')).status).toBe(422);
    expect((await confirm('jeanne', code, NEW_PASSWORD)).status).toBe(200);
    expect((await request(a.app).post('/auth/login').send({ identifier: 'jeanne', password: NEW_PASSWORD })).status).toBe(200);
  });
});
