import type { AuditEvent, Patient, Resource } from '@medplum/fhirtypes';
import request from 'supertest';
import { NO_OWN_CONTACT } from '../../../src/auth/patient-login';
import { setPatientCredential } from '../../../src/auth/patient-login';
import { parisDay, parisMidnight } from '../../../src/access/paris-calendar';
import { sql } from '../../../src/store/sql';
import { INS_NIR, systemContext } from './fixture';
import { createRecordsApp, type RecordsApp } from '../records/harness';
import { withInsKey } from './ins-values';

// Issue 12, the way out for a young adult whose record's contact is his parent's: sign-in codes follow the rule of
// password-setting codes (never a (former) guardian's contact; after a majority, only a contact the holder confirmed
// since his birthday), and the Assurance Maladie counter records his own contact, confirmed in person, with
// `$issue-activation`. Lou turns 18 with her mother's e-mail on her record. Injected clock throughout.

const FAST = { N: 1024, r: 8, p: 1 };
const ROLE = 'http://terminology.hl7.org/CodeSystem/v3-RoleCode';
const PASSWORD = 'Tournesol-cerf-volant-brume-1987';
const MUM = 'maman.lou@example.org';
const DAY = 86_400_000;
// Lou came of age ten days ago (Paris midnight), eleven when ten days ago was a 29 February. The dates follow the real
// calendar: the server reads her majority on the injected clock, but signs her tokens on the real one (as in
// production, where both are one), so a token issued after her birthday must be after it on both.
const MAJORITY_DAY = ((day) => (day.endsWith('-02-29') ? parisDay(new Date(Date.now() - 11 * DAY)) : day))(parisDay(new Date(Date.now() - 10 * DAY)));
const BIRTH_DATE = `${Number(MAJORITY_DAY.slice(0, 4)) - 18}${MAJORITY_DAY.slice(4)}`;
const MAJORITY = parisMidnight(MAJORITY_DAY).getTime();
/** Her NIR: a woman (2), born in that year and month, in Paris (75). */
const LOU_NIR = `2${BIRTH_DATE.slice(2, 4)}${BIRTH_DATE.slice(5, 7)}75123466`;
let a: RecordsApp;

const lou: Resource = {
  resourceType: 'Patient', id: 'lou', identifier: [{ system: INS_NIR, value: withInsKey(LOU_NIR) }], name: [{ use: 'official', family: 'MARTIN', given: ['Lou'] }],
  gender: 'female', birthDate: BIRTH_DATE, telecom: [{ system: 'email', value: MUM }],
};
const mother: Resource = {
  resourceType: 'RelatedPerson', id: 'mum-lou', active: true, patient: { reference: 'Patient/lou' }, relationship: [{ coding: [{ system: ROLE, code: 'MTH' }] }],
  name: [{ family: 'MARTIN' }], telecom: [{ system: 'email', value: MUM }],
} as Resource;

const login = (identifier: string, password = PASSWORD) => request(a.app).post('/auth/login').send({ identifier, password });
const outbox = async (where: { kind?: string; recipient?: string; since?: number } = {}) =>
  (await a.db.query<{ kind: string; recipient: string; body: string }>(sql`SELECT kind, recipient, body FROM notify_outbox WHERE patient_id = 'lou' ORDER BY created_at, id`)).rows
    .filter((r) => (!where.kind || r.kind === where.kind) && (!where.recipient || r.recipient === where.recipient));
const codeIn = (body: string, pattern = /\b(\d{6})\b/) => pattern.exec(body)![1];
const counter = async (token: string, parameter?: object[]) => {
  const req = request(a.app).post('/fhir/Patient/lou/$issue-activation').set('Authorization', `Bearer ${token}`);
  return parameter ? req.set('Content-Type', 'application/fhir+json').send({ resourceType: 'Parameters', parameter }) : req;
};
const asLou = (token: string, name: string, parameter: object[]) =>
  request(a.app).post(`/fhir/Patient/lou/${name}`).set('Authorization', `Bearer ${token}`).set('Content-Type', 'application/fhir+json').send({ resourceType: 'Parameters', parameter });

beforeAll(async () => {
  a = await createRecordsApp({ start: new Date(MAJORITY - 30 * DAY) });
  for (const r of [lou, mother]) await a.service.repo.update(systemContext(), r);
  await setPatientCredential(a.db, { login: 'lou.avant', patientId: 'lou', password: PASSWORD, now: a.clock.now, scrypt: FAST });
}, 120_000);
afterAll(() => a.close());

test('while Lou is a minor, her sign-in code does not go to her mother\'s address either: her mother signs in with her own account', async () => {
  const started = await login('lou.avant');
  expect(started.status).toBe(422);
  expect(started.body.issue[0].diagnostics).toMatch(/^Le code de connexion n’est pas envoyé à l’adresse e-mail ou au numéro de mobile d’un représentant légal/);
  expect(await outbox({ kind: 'login-code' })).toEqual([]);
});

test('after her birthday her mother receives neither a sign-in code nor a reset code; Lou is told, after her password, to go to a counter', async () => {
  a.clock.now = new Date(MAJORITY + 3_600_000);
  const before = (await outbox({ recipient: MUM })).length;
  // Credentials of her own set since her birthday (the hand-over's activation), but the record's contact is her mother's.
  await setPatientCredential(a.db, { login: 'lou.petit', patientId: 'lou', password: PASSWORD, now: a.clock.now, scrypt: FAST });
  const refused = await login('lou.petit');
  expect(refused.status).toBe(422);
  expect(refused.body.resourceType).toBe('OperationOutcome');
  expect(refused.body.issue[0].diagnostics).toBe(NO_OWN_CONTACT);
  expect(NO_OWN_CONTACT).toMatch(/guichet de l’Assurance Maladie/);
  // Without the password nothing tells: the same 401 as an unknown identifier.
  const wrong = await login('lou.petit', 'pas-le-bon-mot-de-passe');
  const unknown = await login('personne.inconnue', 'pas-le-bon-mot-de-passe');
  expect([wrong.status, wrong.body]).toEqual([unknown.status, unknown.body]);
  expect((await request(a.app).post('/auth/reset').send({ identifier: 'lou.petit' })).status).toBe(202);
  expect(await outbox({ recipient: MUM })).toHaveLength(before);
});

test('only the Assurance Maladie records a contact at its counter: a practitioner, a feeder, Lou herself get 403', async () => {
  const contact = [{ name: 'email', valueString: 'lou@example.org' }];
  for (const token of [
    await a.token({ kind: 'practitioner', id: '10000000001' }),
    await a.token({ kind: 'system', id: 'lab-feeder' }),
    await a.token({ kind: 'patient', id: 'lou' }),
  ]) {
    const res = await counter(token, contact);
    expect(res.status).toBe(403);
    expect(res.headers['x-activation-code']).toBeUndefined();
  }
  expect(await outbox({ kind: 'activation' })).toHaveLength(0);
});

test('an invalid e-mail or mobile at the counter is a 422 naming the parameter, and nothing is written', async () => {
  const am = await a.token({ kind: 'system', id: 'cnam', category: 'assurance-maladie' });
  const badEmail = await counter(am, [{ name: 'email', valueString: 'lou@' }]);
  expect(badEmail.status).toBe(422);
  expect(badEmail.body.issue[0].diagnostics).toMatch(/^Parameter "email"/);
  const badMobile = await counter(am, [{ name: 'email', valueString: 'lou@example.org' }, { name: 'mobile', valueString: '12' }]);
  expect(badMobile.status).toBe(422);
  expect(badMobile.body.issue[0].diagnostics).toMatch(/^Parameter "mobile"/);
  expect(badMobile.body.issue[0].expression).toEqual(['Parameters.parameter[1].valueString']);
  // Her mother's address is not hers, whatever the agent types.
  const parents = await counter(am, [{ name: 'email', valueString: 'Maman.Lou@example.org' }]);
  expect(parents.status).toBe(422);
  expect(parents.body.issue[0].diagnostics).toMatch(/^Parameter "email": .*représentant légal/);
  expect((await counter(am, [{ name: 'phone', valueString: '0612345678' }])).status).toBe(400);
  expect(await outbox({ kind: 'activation' })).toHaveLength(0);
  const { rows } = await a.db.query<{ n: number }>(sql`SELECT count(*)::int AS n FROM account_code WHERE patient_id = 'lou' AND purpose IN ('activation', 'contact-change')`);
  expect(rows[0].n).toBe(0);
});

test('at the counter the agent records Lou\'s own e-mail: her code is printed and sent there, her mother is told; Lou activates, signs in and changes her contacts', async () => {
  const am = await a.token({ kind: 'system', id: 'cnam', category: 'assurance-maladie' });
  const issued = await counter(am, [{ name: 'email', valueString: 'Lou@Example.org' }]);
  expect(issued.status).toBe(200);
  expect(issued.headers['cache-control']).toBe('no-store');
  expect(issued.body.resourceType).toBe('OperationOutcome'); // the Assurance Maladie still reads nothing of the record
  const code = issued.headers['x-activation-code'] as string;
  expect(code).toMatch(/^\w{4}-\w{4}-\w{4}$/);
  expect((await outbox({ kind: 'activation' })).map((r) => [r.recipient, r.body.includes(code)])).toEqual([['lou@example.org', true]]);
  const told = await outbox({ kind: 'contact-changed' });
  expect(told.map((r) => r.recipient)).toEqual([MUM]);
  expect(told[0].body).toMatch(/L’adresse e-mail de votre dossier médical partagé a été modifiée le .* à un guichet de l’Assurance Maladie/);
  expect(told[0].body).not.toContain('lou@example.org');

  expect((await request(a.app).post('/auth/activate').send({ patient: 'lou', activation_code: code, identifier: 'lou.martin', password: PASSWORD })).status).toBe(200);
  const started = await login('lou.martin');
  expect(started.status).toBe(200);
  const sent = await outbox({ kind: 'login-code' });
  expect(sent.map((r) => r.recipient)).toEqual(['lou@example.org']);
  const signedIn = await request(a.app).post('/auth/otp').send({ challenge: started.body.challenge, code: codeIn(sent[0].body) });
  expect(signedIn.status).toBe(200);
  const token = signedIn.body.access_token as string;

  expect((await asLou(token, '$change-contact', [{ name: 'system', valueString: 'sms' }, { name: 'value', valueString: '06 12 34 56 78' }])).status).toBe(200);
  const confirmation = (await outbox({ kind: 'contact-confirmation' }))[0];
  expect(confirmation.recipient).toBe('+33612345678');
  const applied = await asLou(token, '$confirm-contact', [{ name: 'code', valueString: codeIn(confirmation.body) }]);
  expect(applied.status).toBe(200);
  expect((applied.body as Patient).telecom).toEqual([{ system: 'email', value: 'lou@example.org' }, { system: 'phone', use: 'mobile', value: '+33612345678' }]);

  // Since her birthday her mother's address got the change notice only: no code of any kind.
  const sinceBirthday = (await a.db.query<{ kind: string }>(sql`SELECT kind FROM notify_outbox WHERE recipient = ${MUM} AND created_at >= ${new Date(MAJORITY).toISOString()}::timestamptz`)).rows;
  expect(sinceBirthday.map((r) => r.kind)).toEqual(['contact-changed']);

  // Her trail: the counter's recording of her contact as its own event, the Assurance Maladie's update of her Patient,
  // her activation.
  const trail = await request(a.app).get('/fhir/AuditEvent?patient=lou&_count=200').set('Authorization', `Bearer ${token}`);
  const events = (trail.body.entry ?? []).map((e: { resource: AuditEvent }) => e.resource) as AuditEvent[];
  const procedure = (code: string) => events.filter((e) => e.subtype?.some((c) => c.system === 'urn:dmp-fhir-adapter:account-procedure' && c.code === code));
  const counterEvents = procedure('contact-confirmed-in-person');
  // The refused attempt with her mother's address, then the recording.
  expect(counterEvents.map((e) => e.outcome).sort()).toEqual(['0', '4']);
  expect(counterEvents.find((e) => e.outcome === '4')?.outcomeDesc).toMatch(/représentant légal/);
  expect(JSON.stringify(counterEvents.find((e) => e.outcome === '0')?.agent)).toContain('cnam');
  expect(procedure('activation').filter((e) => e.outcome === '0')).toHaveLength(1);
  expect(procedure('contact-change').filter((e) => e.outcome === '0')).toHaveLength(1);
  const updates = events.filter((e) => e.subtype?.some((c) => c.code === 'update') && JSON.stringify(e.agent).includes('cnam') && e.entity?.some((x) => x.what?.reference?.startsWith('Patient/lou')));
  expect(updates).toHaveLength(1);
});

test('a record without a body keeps the paper-only procedure: nothing sent, no contact changed', async () => {
  const am = await a.token({ kind: 'system', id: 'cnam', category: 'assurance-maladie' });
  const before = await outbox();
  const res = await counter(am);
  expect(res.status).toBe(200);
  expect(res.headers['x-activation-code']).toMatch(/^\w{4}-\w{4}-\w{4}$/);
  expect(await outbox()).toEqual(before);
});
