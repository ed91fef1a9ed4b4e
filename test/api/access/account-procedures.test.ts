import type { Resource } from '@medplum/fhirtypes';
import { readStoredEvent } from '../../../src/audit/stored-event';
import { setPatientCredential } from '../../../src/auth/patient-login';
import { sql } from '../../../src/store/sql';
import { startAuditServer, waitFor, type AuditServer } from '../audit/server-harness';
import { SmtpReceiver } from '../../unit/notify/receivers';
import { consent, IDNAT, INS_NIR, P1_INS, RPPS } from './fixture';

// Issue 12 end to end on the production composition (audit, notifications, access), codes travelling by e-mail to a
// real SMTP receiver: the contact change, the activation of a record created by a professional, the password reset.

const smtp = new SmtpReceiver();
let s: AuditServer;
const PASSWORD = 'correct horse battery';
const OLD_EMAIL = 'ancienne@example.org';
const NEW_EMAIL = 'nouvelle@example.org';

/** The text of an e-mail as the patient reads it (quoted-printable decoded). */
const textOf = (data: string): string =>
  Buffer.from(data.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16))), 'latin1').toString('utf8');

/** Waits for an e-mail to an address whose text matches, among those received after the `after`-th one; answers its text. */
async function mailTo(address: string, pattern: RegExp, after = 0): Promise<string> {
  const find = () => smtp.received.slice(after).map((m) => ({ to: m.to, text: textOf(m.data) })).find((m) => m.to.includes(address) && pattern.test(m.text));
  await waitFor(() => !!find(), 20_000, `an e-mail to ${address} matching ${pattern}`);
  return find()!.text;
}

const params = (entries: Record<string, string>) => ({ resourceType: 'Parameters', parameter: Object.entries(entries).map(([name, valueString]) => ({ name, valueString })) });
const post = (path: string, body: object) => fetch(`${s.server.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

/** Signs in with identifier and password, reading the code from the e-mail it is sent to; answers the token response. */
async function signIn(identifier: string, password: string, email: string): Promise<{ status: number; patient?: string }> {
  const seen = smtp.received.length;
  const started = await post('/auth/login', { identifier, password });
  expect(started.status).toBe(200);
  const { challenge } = (await started.json()) as { challenge: string };
  const text = await mailTo(email, /code de connexion au DMP est \d{6}/, seen);
  const code = /code de connexion au DMP est (\d{6})/.exec(text)![1];
  const token = await post('/auth/otp', { challenge, code });
  return { status: token.status, ...((await token.json()) as { patient?: string }) };
}

/** The account AuditEvents (activation, reset, contact change) of a record, by procedure and outcome. */
async function accountEvents(patientId: string): Promise<string[]> {
  const { rows } = await s.testDb.db.query<{ id: string; text: string }>(sql`SELECT id, text FROM resource WHERE type = 'AuditEvent' AND compartment = ${patientId}`);
  return rows
    .map((r) => readStoredEvent(r.id, r.text).event as { outcome: string; type: { code: string }; subtype?: { code: string }[] })
    .filter((e) => e.type.code === '110113')
    .map((e) => `${e.subtype?.[1]?.code}:${e.outcome}`);
}

beforeAll(async () => {
  await smtp.start();
  s = await startAuditServer({ SMTP_URL: `smtp://127.0.0.1:${smtp.port}`, MAIL_FROM: 'DMP <no-reply@dmp.test>', NOTIFY_RETRY_BASE_MS: '200', NOTIFY_POLL_MS: '100' });
  const ctx = s.systemContext();
  const fixtures: Resource[] = [
    { resourceType: 'Practitioner', id: 'gp', identifier: [{ system: IDNAT, value: `8${RPPS.gp}` }], name: [{ family: 'GENERALISTE' }] },
    {
      resourceType: 'Patient',
      id: 'p1',
      identifier: [{ system: INS_NIR, value: P1_INS }],
      name: [{ family: 'MARTIN', given: ['Jeanne'] }],
      gender: 'female',
      birthDate: '1979-03-05',
      generalPractitioner: [{ reference: 'Practitioner/gp' }],
      telecom: [{ system: 'email', value: OLD_EMAIL }],
    },
    consent('c1-open', 'p1', { type: 'permit' }),
  ];
  for (const resource of fixtures) await s.server.service.repo.update(ctx, resource);
  await setPatientCredential(s.testDb.db, { login: 'jeanne', patientId: 'p1', password: PASSWORD, scrypt: { N: 1024, r: 8, p: 1 } });
}, 120_000);

afterAll(async () => {
  await s?.close();
  await smtp.stop();
});

test('the treating physician and a feeder cannot rewrite the e-mail; the patient changes it with the code sent to the new one', async () => {
  const { body: current } = await s.fhir(await s.token({ kind: 'patient', id: 'p1' }), 'GET', '/Patient/p1');
  const { meta: _meta, ...rewritten } = { ...current, telecom: [{ system: 'email', value: 'attaquant@example.org' }] };
  expect((await s.fhir(await s.token({ kind: 'practitioner', id: RPPS.gp }), 'PUT', '/Patient/p1', rewritten)).status).toBe(403);
  const { id: _id, ...byIns } = rewritten;
  expect((await s.fhir(await s.token({ kind: 'system', id: 'lab-feeder' }), 'PUT', `/Patient?identifier=${INS_NIR}|${P1_INS}`, byIns)).status).toBe(403);

  const patient = await s.token({ kind: 'patient', id: 'p1' });
  expect((await s.fhir(patient, 'POST', '/Patient/p1/$change-contact', params({ system: 'email', value: NEW_EMAIL }))).status).toBe(200);
  const confirmation = await mailTo(NEW_EMAIL, /code de confirmation/);
  const code = /code de confirmation[^]*? est (\d{6})/.exec(confirmation)![1];
  const confirmed = await s.fhir(patient, 'POST', '/Patient/p1/$confirm-contact', params({ code }));
  expect(confirmed.status).toBe(200);
  const told = await mailTo(OLD_EMAIL, /L’adresse e-mail de votre dossier médical partagé a été modifiée le/);
  expect(told).toMatch(/si vous n’êtes pas à l’origine de ce changement/i);
  // The next sign-in code goes to the new address.
  expect((await signIn('jeanne', PASSWORD, NEW_EMAIL)).status).toBe(200);
  expect(await accountEvents('p1')).toContain('contact-change:0');
}, 60_000);

test('a record created by a professional answers its activation code; the patient activates it and signs in', async () => {
  const gp = await s.token({ kind: 'practitioner', id: RPPS.gp });
  const res = await fetch(`${s.server.fhirUrl}/Patient`, {
    method: 'POST',
    headers: { authorization: `Bearer ${gp}`, 'content-type': 'application/fhir+json' },
    body: JSON.stringify({
      resourceType: 'Patient',
      identifier: [{ system: INS_NIR, value: '193047512345653' }],
      name: [{ family: 'PHARMACIE', given: ['Paul'] }],
      gender: 'male',
      birthDate: '1993-04-01',
      telecom: [{ system: 'email', value: 'paul@example.org' }],
    }),
  });
  expect(res.status).toBe(201);
  const code = res.headers.get('x-activation-code') as string;
  expect(code).toMatch(/^\w{4}-\w{4}-\w{4}$/);
  const id = ((await res.json()) as { id: string }).id;
  expect(await mailTo('paul@example.org', /code d’activation/)).toContain(code);
  expect((await post('/auth/activate', { patient: id, activation_code: code, identifier: 'paul.pharmacie', password: PASSWORD })).status).toBe(200);
  const signed = await signIn('paul.pharmacie', PASSWORD, 'paul@example.org');
  expect(signed).toMatchObject({ status: 200, patient: id });
  expect(await accountEvents(id)).toContain('activation:0');
}, 60_000);

test('a password reset by e-mail: the same 202 for an unknown identifier, then the new password signs in', async () => {
  const known = await post('/auth/reset', { identifier: 'jeanne' });
  const unknown = await post('/auth/reset', { identifier: 'inconnu' });
  expect(known.status).toBe(202);
  expect(unknown.status).toBe(202);
  expect(await known.json()).toEqual(await unknown.json());
  const text = await mailTo(NEW_EMAIL, /code de réinitialisation/);
  const code = /est (\d{6})/.exec(text)![1];
  const newPassword = 'velo rouge sous la pluie';
  expect((await post('/auth/reset/confirm', { identifier: 'jeanne', code, password: newPassword })).status).toBe(200);
  await mailTo(NEW_EMAIL, /Le mot de passe de votre dossier médical partagé a été modifié le/);
  expect((await signIn('jeanne', newPassword, NEW_EMAIL)).status).toBe(200);
  expect(await accountEvents('p1')).toContain('password-reset:0');
}, 60_000);
