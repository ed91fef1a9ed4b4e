import type { Patient } from '@medplum/fhirtypes';
import request from 'supertest';
import { setPatientCredential } from '../../../src/auth/patient-login';
import { NOTIFY_PREFERENCE_URL } from '../../../src/notify/recipients';
import { sql } from '../../../src/store/sql';
import { INS_NIR, loadFixture, P1_INS, RPPS } from './fixture';
import { createAccessApp, type AccessApp } from './harness';

// Issue 12, contact points: the e-mail and mobile receiving sign-in codes and notices change only by the patient,
// after confirming the new one with a code sent to it; the old one is told. The clock is the test's.

let a: AccessApp;
let nowMs = Date.parse('2026-03-01T10:00:00Z');
const FHIR = 'application/fhir+json';

beforeAll(async () => {
  a = await createAccessApp({ clock: () => new Date(nowMs) });
  await loadFixture(a.service);
}, 120_000);
afterAll(() => a.close());

const bearer = async (kind: 'patient' | 'practitioner' | 'system' | 'guardian', id: string) => `Bearer ${await a.token({ kind, id })}`;
const params = (entries: Record<string, string>) => ({ resourceType: 'Parameters', parameter: Object.entries(entries).map(([name, valueString]) => ({ name, valueString })) });
const op = async (who: string, id: string, name: string, body: object) => request(a.app).post(`/fhir/Patient/${id}/${name}`).set('Authorization', who).set('Content-Type', FHIR).send(body);

async function patient(id: string): Promise<Patient> {
  const { rows } = await a.testDb.db.query<{ text: string }>(sql`SELECT text FROM resource WHERE type = 'Patient' AND id = ${id}`);
  return JSON.parse(rows[0].text) as Patient;
}

/** Outbox rows of a kind (newest first). */
async function sent(kind: string): Promise<{ recipient: string; body: string; subject: string }[]> {
  const { rows } = await a.testDb.db.query<{ recipient: string; body: string; subject: string }>(
    sql`SELECT recipient, body, subject FROM notify_outbox WHERE kind = ${kind} ORDER BY id DESC`,
  );
  return rows;
}

const codeIn = (body: string): string => /\b(\d{6})\b/.exec(body)![1];

async function put(who: string, resource: Patient) {
  const { meta: _meta, ...body } = resource;
  return request(a.app).put(`/fhir/Patient/${resource.id}`).set('Authorization', who).set('Content-Type', FHIR).send(body);
}

test('an authorised professional and a feeder cannot rewrite the e-mail of a record (403)', async () => {
  const current = await patient('p1');
  const rewritten = { ...current, telecom: [{ system: 'email' as const, value: 'attacker@example.org' }] };
  const byProfessional = await put(await bearer('practitioner', RPPS.spec), rewritten);
  expect(byProfessional.status).toBe(403);
  // Professionals change no part of the Patient resource (the patient's own entry), its contacts included.
  expect(byProfessional.body.issue[0].diagnostics).toMatch(/Only the patient or a legal guardian/);
  // A feeder cannot read the record (it is 404 to him, as hidden); whichever way it addresses the Patient, nothing changes.
  const feeder = await bearer('system', 'lab-feeder');
  expect([403, 404]).toContain((await put(feeder, rewritten)).status);
  const { meta: _meta, id: _id, ...body } = rewritten;
  const byIns = await request(a.app).put(`/fhir/Patient?identifier=${INS_NIR}|${P1_INS}`).set('Authorization', feeder).set('Content-Type', FHIR).send(body);
  expect(byIns.status).toBe(403);
  const added = { ...current, telecom: [...(current.telecom ?? []), { system: 'phone' as const, use: 'mobile' as const, value: '+33611111111' }] };
  expect((await put(await bearer('practitioner', RPPS.spec), added)).status).toBe(403);
  expect((await patient('p1')).telecom).toEqual(current.telecom);
});

test('a professional cannot turn the notices off; the patient can', async () => {
  const current = await patient('p1');
  const silenced = { ...current, extension: [{ url: NOTIFY_PREFERENCE_URL, valueCode: 'none' }] };
  expect((await put(await bearer('practitioner', RPPS.spec), silenced)).status).toBe(403);
  expect((await put(await bearer('patient', 'p1'), silenced)).status).toBe(200);
  expect((await put(await bearer('patient', 'p1'), current)).status).toBe(200);
});

test('the patient himself cannot change his e-mail by a plain update, but may change anything else', async () => {
  const current = await patient('p1');
  const patientToken = await bearer('patient', 'p1');
  expect((await put(patientToken, { ...current, telecom: [{ system: 'email', value: 'new@example.org' }] })).status).toBe(403);
  expect((await put(patientToken, { ...current, telecom: [] })).status).toBe(403);
  const landline = { ...current, telecom: [...(current.telecom ?? []), { system: 'phone' as const, use: 'home' as const, value: '+33140000000' }] };
  expect((await put(patientToken, landline)).status).toBe(200);
});

test('a JSON Patch of the e-mail is refused like an update', async () => {
  const patch = [{ op: 'replace', path: '/telecom/0/value', value: 'patched@example.org' }];
  for (const who of [await bearer('patient', 'p1'), await bearer('practitioner', RPPS.spec)]) {
    const res = await request(a.app).patch('/fhir/Patient/p1').set('Authorization', who).set('Content-Type', 'application/json-patch+json').send(JSON.stringify(patch));
    expect(res.status).toBe(403);
  }
  expect((await patient('p1')).telecom?.[0].value).toBe('patient@example.org');
});

test('the guardian of a minor may ask for a contact change of the minor\'s record', async () => {
  const res = await op(await bearer('guardian', 'rp1'), 'p1', '$change-contact', params({ system: 'email', value: 'parent@example.org' }));
  expect(res.status).toBe(200);
  expect((await sent('contact-confirmation'))[0].recipient).toBe('parent@example.org');
});

test('only the patient (or his guardian) may ask for a contact change', async () => {
  const body = params({ system: 'email', value: 'new@example.org' });
  expect((await op(await bearer('practitioner', RPPS.gp), 'p1', '$change-contact', body)).status).toBe(403);
  expect((await op(await bearer('system', 'lab-feeder'), 'p1', '$change-contact', body)).status).toBe(403);
  expect((await op(await bearer('patient', 'p2'), 'p1', '$change-contact', body)).status).toBe(403);
  expect((await op(await bearer('practitioner', RPPS.gp), 'p1', '$confirm-contact', params({ code: '123456' }))).status).toBe(403);
  const readOnly = `Bearer ${await a.token({ kind: 'patient', id: 'p1', scope: 'patient/*.rs' })}`;
  expect((await op(readOnly, 'p1', '$change-contact', body)).status).toBe(403);
});

test('the patient changes his e-mail with the code sent to it; the old one is told and sign-in codes go to the new one', async () => {
  await setPatientCredential(a.testDb.db, { login: 'jeanne', patientId: 'p1', password: 'correct horse battery', scrypt: { N: 1024, r: 8, p: 1 } });
  const me = await bearer('patient', 'p1');
  const asked = await op(me, 'p1', '$change-contact', params({ system: 'email', value: 'Jeanne.Nouvelle@Example.org' }));
  expect(asked.status).toBe(200);
  expect(asked.body.resourceType).toBe('OperationOutcome');
  const [confirmation] = await sent('contact-confirmation');
  expect(confirmation.recipient).toBe('jeanne.nouvelle@example.org');
  expect(confirmation.body).toMatch(/code de confirmation/);
  const code = codeIn(confirmation.body);
  // Nothing changes before the code is given.
  expect((await patient('p1')).telecom?.find((t) => t.system === 'email')?.value).toBe('patient@example.org');
  const wrong = await op(me, 'p1', '$confirm-contact', params({ code: code === '000000' ? '111111' : '000000' }));
  expect(wrong.status).toBe(400);
  const confirmed = await op(me, 'p1', '$confirm-contact', params({ code }));
  expect(confirmed.status).toBe(200);
  expect(confirmed.body.telecom.filter((t: { system: string }) => t.system === 'email')).toEqual([{ system: 'email', value: 'jeanne.nouvelle@example.org' }]);
  const [told] = await sent('contact-changed');
  expect(told.recipient).toBe('patient@example.org');
  expect(told.body).toMatch(/^L’adresse e-mail de votre dossier médical partagé a été modifiée le 1 mars 2026 à 11:00/);
  expect(told.body).toMatch(/Si vous n’êtes pas à l’origine de ce changement/);
  // Single use.
  expect((await op(me, 'p1', '$confirm-contact', params({ code }))).status).toBe(400);
  const started = await request(a.app).post('/auth/login').send({ identifier: 'jeanne', password: 'correct horse battery' });
  expect(started.status).toBe(200);
  const { rows } = await a.testDb.db.query<{ recipient: string }>(sql`SELECT recipient FROM notify_outbox WHERE idempotency_key LIKE ${`login-code:${started.body.challenge}:%`}`);
  expect(rows.map((r) => r.recipient)).toEqual(['jeanne.nouvelle@example.org']);
});

test('a mobile number is confirmed the same way and stored as a mobile phone', async () => {
  const me = await bearer('patient', 'p2');
  expect((await op(me, 'p2', '$change-contact', params({ system: 'sms', value: '06 12 34 56 78' }))).status).toBe(200);
  const [confirmation] = await sent('contact-confirmation');
  expect(confirmation.recipient).toBe('+33612345678');
  const confirmed = await op(me, 'p2', '$confirm-contact', params({ code: codeIn(confirmation.body) }));
  expect(confirmed.status).toBe(200);
  expect(confirmed.body.telecom).toContainEqual({ system: 'phone', use: 'mobile', value: '+33612345678' });
});

test('a confirmation code expires after 15 minutes', async () => {
  const me = await bearer('patient', 'p3');
  expect((await op(me, 'p3', '$change-contact', params({ system: 'email', value: 'p3@example.org' }))).status).toBe(200);
  const code = codeIn((await sent('contact-confirmation'))[0].body);
  nowMs += 15 * 60_000 + 1000;
  expect((await op(me, 'p3', '$confirm-contact', params({ code }))).status).toBe(400);
  expect((await patient('p3')).telecom ?? []).toEqual([]);
});

test('three wrong codes burn the confirmation code (429), even the right one afterwards', async () => {
  const me = await bearer('patient', 'p3');
  expect((await op(me, 'p3', '$change-contact', params({ system: 'email', value: 'p3-bis@example.org' }))).status).toBe(200);
  const code = codeIn((await sent('contact-confirmation'))[0].body);
  const wrong = code === '000000' ? '111111' : '000000';
  for (let i = 0; i < 3; i++) expect((await op(me, 'p3', '$confirm-contact', params({ code: wrong }))).status).toBe(400);
  const late = await op(me, 'p3', '$confirm-contact', params({ code }));
  expect(late.status).toBe(429);
  expect(late.body.issue[0].diagnostics).toMatch(/demandez un nouveau code/);
});

test('contact change requests are limited to three an hour', async () => {
  const me = await bearer('patient', 'p3');
  nowMs += 3600_000;
  for (let i = 0; i < 3; i++) expect((await op(me, 'p3', '$change-contact', params({ system: 'email', value: `p3-${i}@example.org` }))).status).toBe(200);
  expect((await op(me, 'p3', '$change-contact', params({ system: 'email', value: 'p3-4@example.org' }))).status).toBe(429);
});
