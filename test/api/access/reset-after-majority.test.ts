import type { AuditEvent, Resource } from '@medplum/fhirtypes';
import request from 'supertest';
import { setPatientCredential } from '../../../src/auth/patient-login';
import { sql } from '../../../src/store/sql';
import { INS_NIR, systemContext } from './fixture';
import { createRecordsApp, type RecordsApp } from '../records/harness';
import { withInsKey } from './ins-values';

// Issue 12, a young adult's contacts after majority: the record's e-mail may be a parent's (copied from the guardian at
// opening, or entered by the parent while the child was a minor). A password-reset code sets the password: it must
// never reach a parent. The rule (auth/credential-contacts.ts): never to a contact that is or was on a guardian's
// RelatedPerson of the record; once the holder is an adult who had legal representatives, only to a contact he
// confirmed himself since his 18th birthday. The answer stays the unknown identifier's. Injected clock throughout.

const FAST = { N: 1024, r: 8, p: 1 };
const ROLE = 'http://terminology.hl7.org/CodeSystem/v3-RoleCode';
const PASSWORD = 'Tournesol-cerf-volant-brume-1987';
// Born 2010-03-15: adult from 2028-03-15 00:00 Paris time (2028-03-14T23:00:00Z).
const BIRTH = '2010-03-15';
const MAJORITY = Date.parse('2028-03-14T23:00:00Z');
const DAY = 86_400_000;
let a: RecordsApp;

const patient = (id: string, insBody: string, birthDate: string, email: string): Resource => ({
  resourceType: 'Patient', id, identifier: [{ system: INS_NIR, value: withInsKey(insBody) }], name: [{ use: 'official', family: 'PETIT', given: [id] }],
  gender: 'female', birthDate, telecom: [{ system: 'email', value: email }],
});
const guardian = (id: string, patientId: string, email: string): Resource =>
  ({ resourceType: 'RelatedPerson', id, active: true, patient: { reference: `Patient/${patientId}` }, relationship: [{ coding: [{ system: ROLE, code: 'MTH' }] }], name: [{ family: 'PETIT' }], telecom: [{ system: 'email', value: email }] }) as Resource;

const reset = (identifier: string) => request(a.app).post('/auth/reset').send({ identifier });
const resetCodesTo = async (): Promise<string[]> =>
  (await a.db.query<{ recipient: string }>(sql`SELECT recipient FROM notify_outbox WHERE kind = 'password-reset' ORDER BY created_at, recipient`)).rows.map((r) => r.recipient);
const credential = (login: string, patientId: string, at: number) =>
  setPatientCredential(a.db, { login, patientId, password: PASSWORD, now: new Date(at), scrypt: FAST });
const op = async (patientId: string, name: string, parameter: object[]) =>
  request(a.app).post(`/fhir/Patient/${patientId}/${name}`).set('Authorization', `Bearer ${await a.token({ kind: 'patient', id: patientId })}`)
    .set('Content-Type', 'application/fhir+json').send({ resourceType: 'Parameters', parameter });

/** The answer with everything that would tell a known identifier from an unknown one. */
async function answerOf(identifier: string): Promise<{ status: number; body: unknown; type: string | undefined }> {
  const res = await reset(identifier);
  return { status: res.status, body: res.body, type: res.headers['content-type'] };
}

beforeAll(async () => {
  a = await createRecordsApp({ start: new Date(MAJORITY - 30 * DAY) });
  const fixtures: Resource[] = [
    // Eva's record e-mail is her mother's, copied from the guardian's link when it was opened.
    patient('eva', '2100375123456', BIRTH, 'maman.eva@example.org'), guardian('mum-eva', 'eva', 'maman.eva@example.org'),
    // Inès's record e-mail was entered by her mother: a family address that is not on the mother's link.
    patient('ines', '2100375123457', BIRTH, 'famille.ines@example.org'), guardian('mum-ines', 'ines', 'maman.ines@example.org'),
    // Still a child, her record e-mail her mother's.
    patient('kid', '2150575123458', '2015-05-20', 'maman.kid@example.org'), guardian('mum-kid', 'kid', 'maman.kid@example.org'),
    // Zoé's record e-mail was entered by her mother too; she will ask to confirm it, then change her mind.
    patient('zoe', '2100375123460', BIRTH, 'famille.zoe@example.org'), guardian('mum-zoe', 'zoe', 'maman.zoe@example.org'),
    // An adult who never had legal representatives: nothing changes for him.
    patient('adam', '1800175123459', '1980-01-15', 'adam@example.org'),
  ];
  for (const r of fixtures) await a.service.repo.update(systemContext(), r);
  // Credentials set while the girls were minors (by whoever held the activation code: a parent, possibly).
  for (const id of ['eva', 'ines', 'kid', 'adam']) await credential(`${id}.avant`, id, a.clock.now.getTime());
}, 120_000);
afterAll(() => a.close());

test('an adult who never had legal representatives still gets his reset code at his e-mail', async () => {
  expect((await reset('adam.avant')).status).toBe(202);
  expect(await resetCodesTo()).toEqual(['adam@example.org']);
});

test('a minor\'s reset code never goes to her parent\'s address, whatever the record says', async () => {
  expect((await reset('kid.avant')).status).toBe(202);
  expect(await resetCodesTo()).toEqual(['adam@example.org']);
});

test('after the majority the parent asks a reset for the young adult: no code reaches him, and the answer is the unknown identifier\'s', async () => {
  a.clock.now = new Date(MAJORITY + 2 * 3_600_000);
  // Her own credentials, set at a counter after her birthday: the parent guesses her identifier and asks a reset.
  await credential('eva.petit', 'eva', a.clock.now.getTime());
  await credential('ines.petit', 'ines', a.clock.now.getTime());
  const unknown = await answerOf('personne.inconnue');
  expect(unknown.status).toBe(202);
  for (const identifier of ['eva.avant', 'eva.petit', 'ines.avant', 'ines.petit']) expect(await answerOf(identifier)).toEqual(unknown);
  expect(await resetCodesTo()).toEqual(['adam@example.org']);
  const { rows } = await a.db.query<{ n: number }>(sql`SELECT count(*)::int AS n FROM account_code WHERE purpose = 'password-reset' AND patient_id IN ('eva', 'ines')`);
  expect(rows[0].n).toBe(0);
  // The holder sees in her trail that a reset was asked and why no code was sent; the caller learns nothing of it.
  const trail = await request(a.app).get('/fhir/AuditEvent?patient=eva&_count=100').set('Authorization', `Bearer ${await a.token({ kind: 'patient', id: 'eva' })}`);
  const asked = (trail.body.entry ?? []).map((e: { resource: AuditEvent }) => e.resource)
    .filter((e: AuditEvent) => e.subtype?.some((c) => c.system === 'urn:dmp-fhir-adapter:account-procedure' && c.code === 'password-reset-request'));
  expect(asked).toHaveLength(2);
  expect(asked.map((e: AuditEvent) => [e.outcome, e.outcomeDesc])).toEqual([['4', expect.stringMatching(/no contact a reset code may go to/)], ['4', expect.stringMatching(/no contact a reset code may go to/)]]);
});

test('once she confirms a contact of her own since her birthday, her reset code goes there only', async () => {
  const asked = await op('eva', '$change-contact', [{ name: 'system', valueString: 'email' }, { name: 'value', valueString: 'eva@example.org' }]);
  expect(asked.status).toBe(200);
  const { rows } = await a.db.query<{ body: string }>(sql`SELECT body FROM notify_outbox WHERE patient_id = 'eva' AND kind = 'contact-confirmation'`);
  const code = /\b(\d{6})\b/.exec(rows[0].body)![1];
  expect((await op('eva', '$confirm-contact', [{ name: 'code', valueString: code }])).status).toBe(200);
  expect((await reset('eva.petit')).status).toBe(202);
  expect(await resetCodesTo()).toEqual(['adam@example.org', 'eva@example.org']);
});

test('Inès may confirm again, since her birthday, the address the record had while she was a minor; then it receives her codes', async () => {
  const asked = await op('ines', '$change-contact', [{ name: 'system', valueString: 'email' }, { name: 'value', valueString: 'famille.ines@example.org' }]);
  expect(asked.status).toBe(200);
  const { rows } = await a.db.query<{ body: string }>(sql`SELECT body FROM notify_outbox WHERE patient_id = 'ines' AND kind = 'contact-confirmation'`);
  expect((await op('ines', '$confirm-contact', [{ name: 'code', valueString: /\b(\d{6})\b/.exec(rows[0].body)![1] }])).status).toBe(200);
  expect((await reset('ines.petit')).status).toBe(202);
  expect(await resetCodesTo()).toEqual(['adam@example.org', 'eva@example.org', 'famille.ines@example.org']);
  // Confirmed once, the address is recorded and usable: asking again is the ordinary 422.
  const again = await op('ines', '$change-contact', [{ name: 'system', valueString: 'email' }, { name: 'value', valueString: 'famille.ines@example.org' }]);
  expect(again.status).toBe(422);
});

test('a change request retired by a newer one is not a confirmation, even for the address already on the record', async () => {
  await credential('zoe.petit', 'zoe', a.clock.now.getTime());
  const email = (value: string) => [{ name: 'system', valueString: 'email' }, { name: 'value', valueString: value }];
  // The family address (the mother's doing) is asked for, then another one: the first code is retired unconfirmed.
  expect((await op('zoe', '$change-contact', email('famille.zoe@example.org'))).status).toBe(200);
  expect((await op('zoe', '$change-contact', email('zoe.perso@example.org'))).status).toBe(200);
  const { rows } = await a.db.query<{ value: string; used: boolean; confirmed: boolean }>(sql`SELECT contact_value AS value, used_at IS NOT NULL AS used,
    confirmed_at IS NOT NULL AS confirmed FROM account_code WHERE purpose = 'contact-change' AND patient_id = 'zoe' ORDER BY contact_value`);
  expect(rows).toEqual([{ value: 'famille.zoe@example.org', used: true, confirmed: false }, { value: 'zoe.perso@example.org', used: false, confirmed: false }]);
  // Neither a reset code nor a sign-in code goes to the family address.
  const before = await resetCodesTo();
  expect((await reset('zoe.petit')).status).toBe(202);
  expect(await resetCodesTo()).toEqual(before);
  expect((await request(a.app).post('/auth/login').send({ identifier: 'zoe.petit', password: PASSWORD })).status).toBe(422);
  // The family address is still hers to confirm: asking again is accepted, not the "already recorded" 422.
  expect((await op('zoe', '$change-contact', email('famille.zoe@example.org'))).status).toBe(200);
});

test('the code entered correctly confirms the contact: reset and sign-in codes then go there', async () => {
  const { rows } = await a.db.query<{ body: string }>(sql`SELECT body FROM notify_outbox WHERE patient_id = 'zoe' AND kind = 'contact-confirmation' ORDER BY id DESC LIMIT 1`);
  expect((await op('zoe', '$confirm-contact', [{ name: 'code', valueString: /\b(\d{6})\b/.exec(rows[0].body)![1] }])).status).toBe(200);
  const confirmed = await a.db.query<{ value: string }>(sql`SELECT contact_value AS value FROM account_code
    WHERE purpose = 'contact-change' AND patient_id = 'zoe' AND confirmed_at IS NOT NULL`);
  expect(confirmed.rows).toEqual([{ value: 'famille.zoe@example.org' }]);
  const before = await resetCodesTo();
  expect((await reset('zoe.petit')).status).toBe(202);
  expect(await resetCodesTo()).toEqual([...before, 'famille.zoe@example.org'].sort());
  expect((await request(a.app).post('/auth/login').send({ identifier: 'zoe.petit', password: PASSWORD })).status).toBe(200);
});
