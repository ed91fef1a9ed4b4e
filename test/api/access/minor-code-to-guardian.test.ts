import type { Patient, Resource } from '@medplum/fhirtypes';
import request from 'supertest';
import { setPatientCredential } from '../../../src/auth/patient-login';
import { sql } from '../../../src/store/sql';
import { createRecordsApp, type RecordsApp } from '../records/harness';
import { consent, IDNAT, INS_NIR, RPPS, systemContext } from './fixture';
import { withInsKey } from './ins-values';

// Issue 12, a minor's credential never handed to a parent. A record's own e-mail or mobile receives its holder's
// activation and sign-in codes; when it is a parent's, the parent would set the child's password and enter the record
// as the child, reading what `INVISIBLE_REPRESENTANTS_LEGAUX` hides from him. The parent acts through his own account
// (a guardian link), never with the child's credential. Injected clock throughout.

const ROLE = 'http://terminology.hl7.org/CodeSystem/v3-RoleCode';
const PASSWORD = 'Tournesol-cerf-volant-brume-1987';
const DAD_MAIL = 'papa@example.org';
const DAD_MOBILE = '+33612345678';
let a: RecordsApp;
const tokens: Record<string, string> = {};
let insSerial = 400;
const ids: Record<string, string> = {};

const child = (telecom: Patient['telecom']): Patient => ({
  resourceType: 'Patient', identifier: [{ system: INS_NIR, value: withInsKey(`2160375123${insSerial++}`) }], name: [{ use: 'official', family: 'PETIT', given: ['Léa'] }],
  gender: 'female', birthDate: '2016-03-10', telecom,
});
const link = (patientRef: string, telecom: Patient['telecom']): Resource =>
  ({ resourceType: 'RelatedPerson', active: true, patient: { reference: patientRef }, relationship: [{ coding: [{ system: ROLE, code: 'FTH' }] }], name: [{ family: 'PETIT', given: ['Marc'] }], telecom }) as Resource;
const fhir = (who: string, method: 'post' | 'get', path: string, body?: object) =>
  request(a.app)[method](`/fhir${path}`).set('Authorization', `Bearer ${tokens[who]}`).set('Content-Type', 'application/fhir+json').send(body);
const openMinor = (patient: Patient) =>
  fhir('dad', 'post', '/Patient/$open-minor-record', { resourceType: 'Parameters', parameter: [{ name: 'patient', resource: patient }, { name: 'relationship', valueCode: 'FTH' }] });
const count = async (query: ReturnType<typeof sql>): Promise<number> => (await a.db.query<{ n: number }>(query)).rows[0].n;
const patients = () => count(sql`SELECT count(*)::int AS n FROM resource WHERE type = 'Patient' AND NOT deleted`);
const activationCodesSent = () => count(sql`SELECT count(*)::int AS n FROM notify_outbox WHERE kind = 'activation'`);
async function activationSent(patientId: string): Promise<{ to: string; code: string }[]> {
  const { rows } = await a.db.query<{ recipient: string; body: string }>(sql`SELECT recipient, body FROM notify_outbox WHERE kind = 'activation' AND patient_id = ${patientId}`);
  return rows.map((r) => ({ to: r.recipient, code: /code d’activation est (\w{4}-\w{4}-\w{4})/.exec(r.body)![1] }));
}
const activate = (patient: string, code: string, identifier: string) =>
  request(a.app).post('/auth/activate').send({ patient, activation_code: code, identifier, password: PASSWORD });

beforeAll(async () => {
  a = await createRecordsApp({ start: new Date('2026-12-01T10:00:00Z') });
  const fixtures: Resource[] = [
    { resourceType: 'Practitioner', id: 'gp', identifier: [{ system: IDNAT, value: `8${RPPS.gp}` }], name: [{ family: 'GENERALISTE' }] },
    { resourceType: 'Patient', id: 'dad', identifier: [{ system: INS_NIR, value: withInsKey('1800175123457') }], name: [{ use: 'official', family: 'PETIT', given: ['Marc'] }], gender: 'male', birthDate: '1980-01-15',
      telecom: [{ system: 'email', value: DAD_MAIL }, { system: 'phone', use: 'mobile', value: DAD_MOBILE }] },
    consent('dad-open', 'dad', { type: 'permit' }),
  ];
  for (const r of fixtures) await a.service.repo.update(systemContext(), r);
  tokens.dad = await a.token({ kind: 'patient', id: 'dad' });
  tokens.gp = await a.token({ kind: 'practitioner', id: RPPS.gp });
}, 120_000);
afterAll(() => a?.close());

test('a parent opening his child\'s record cannot give his own e-mail or mobile as the child\'s, however spelt (422, nothing written)', async () => {
  const before = { patients: await patients(), sent: await activationCodesSent() };
  for (const telecom of [
    [{ system: 'sms' as const, value: '06 12 34 56 78' }],
    [{ system: 'phone' as const, use: 'mobile' as const, value: '+33 6 12 34 56 78' }],
    [{ system: 'email' as const, value: ' Papa@Example.org' }],
  ]) {
    const res = await openMinor(child(telecom));
    expect({ telecom, status: res.status }).toEqual({ telecom, status: 422 });
    expect(res.body.issue[0].diagnostics).toMatch(/vous recevez déjà ses avis à votre adresse, comme représentant légal/);
  }
  expect({ patients: await patients(), sent: await activationCodesSent() }).toEqual(before);
  // With another address the record opens, but no code goes to what the parent typed (it could be his own second
  // address): the child is given hers in person, at an Assurance Maladie counter, and activates with it.
  const res = await openMinor(child([{ system: 'email', value: 'lea@example.org' }]));
  expect(res.status).toBe(201);
  const childId = (res.body.parameter[0].valueReference.reference as string).replace('Patient/', '');
  ids.lea = childId;
  ids.leaGuardian = (res.body.parameter[1].valueReference.reference as string).replace('RelatedPerson/', '');
  expect(res.body.parameter[2]).toEqual({ name: 'information', valueString: expect.stringMatching(/code d’activation ne lui est pas envoyé : il lui est remis en personne/) });
  expect(await activationSent(childId)).toEqual([]);
  // Later, at the counter, the agent checks her papers and her e-mail in person: it becomes hers (not only her father's word).
  a.clock.now = new Date(a.clock.now.getTime() + 60_000);
  const am = await a.token({ kind: 'system', id: 'cnam', category: 'assurance-maladie' });
  const counter = await request(a.app).post(`/fhir/Patient/${childId}/$issue-activation`).set('Authorization', `Bearer ${am}`)
    .set('Content-Type', 'application/fhir+json').send({ resourceType: 'Parameters', parameter: [{ name: 'email', valueString: 'lea@example.org' }] });
  expect(counter.status).toBe(200);
  const printed = counter.headers['x-activation-code'] as string;
  expect(printed).toMatch(/^\w{4}-\w{4}-\w{4}$/);
  expect((await activate(childId, printed, 'lea.petit')).status).toBe(200);
});

test('a professional\'s transaction Bundle giving the child her father\'s address: 422 naming the link\'s telecom, nothing written, no code queued', async () => {
  const before = { patients: await patients(), sent: await activationCodesSent() };
  const patientRef = 'urn:uuid:0b6c8a52-4a7e-4d1b-9c33-5f0d2e7a9b11';
  const bundle = {
    resourceType: 'Bundle', type: 'transaction',
    entry: [
      { fullUrl: patientRef, resource: child([{ system: 'email', value: DAD_MAIL }]), request: { method: 'POST', url: 'Patient' } },
      { resource: link(patientRef, [{ system: 'email', value: 'PAPA@example.org' }]), request: { method: 'POST', url: 'RelatedPerson' } },
    ],
  };
  const res = await fhir('gp', 'post', '', bundle);
  expect(res.status).toBe(422);
  expect(res.headers['x-activation-code']).toBeUndefined();
  const issue = (res.body.issue as { diagnostics: string; expression?: string[] }[]).find((i) => /représentant légal/.test(i.diagnostics));
  expect(issue?.diagnostics).toMatch(/^Cette adresse est celle d’un représentant légal/);
  expect(issue?.expression?.[0]).toMatch(/^Bundle\.entry\[1\]/);
  expect({ patients: await patients(), sent: await activationCodesSent() }).toEqual(before);
  // The same Bundle with the child's own mobile (or none) opens the record.
  bundle.entry[0].resource = child([{ system: 'phone', use: 'mobile', value: '+33698765432' }]) as never;
  expect((await fhir('gp', 'post', '', bundle)).status).toBe(200);
});

test('a guardian link written after the record with the record\'s own address retires the code already sent there; the link is kept', async () => {
  const created = await fhir('gp', 'post', '/Patient', child([{ system: 'sms', value: '06 12 34 56 78' }]));
  expect(created.status).toBe(201);
  const childId = created.body.id as string;
  ids.withDadsMobile = childId;
  const printed = created.headers['x-activation-code'] as string;
  const [sent] = await activationSent(childId);
  expect(sent).toEqual({ to: '06 12 34 56 78', code: printed });
  // The professional then links the father, whose mobile it was: the link is written, the code no longer works.
  const linked = await fhir('gp', 'post', '/RelatedPerson', link(`Patient/${childId}`, [{ system: 'phone', use: 'mobile', value: DAD_MOBILE }]));
  expect(linked.status).toBe(201);
  const { rows } = await a.db.query<{ used: boolean; confirmed: boolean }>(sql`SELECT used_at IS NOT NULL AS used, confirmed_at IS NOT NULL AS confirmed
    FROM account_code WHERE purpose = 'activation' AND patient_id = ${childId}`);
  expect(rows).toEqual([{ used: true, confirmed: false }]);
  expect((await activate(childId, printed, 'lea.par.papa')).status).toBe(400);
  // A link with another address leaves a record's code alone.
  const other = await fhir('gp', 'post', '/Patient', child([{ system: 'email', value: 'ines@example.org' }]));
  const [code] = await activationSent(other.body.id as string);
  expect((await fhir('gp', 'post', '/RelatedPerson', link(`Patient/${other.body.id}`, [{ system: 'email', value: DAD_MAIL }]))).status).toBe(201);
  expect((await activate(other.body.id as string, code.code, 'ines.petit')).status).toBe(200);
});

test('a minor\'s sign-in code never goes to a guardian\'s contact: refused in French when the record has no other; her own contact gets it', async () => {
  const login = (identifier: string) => request(a.app).post('/auth/login').send({ identifier, password: PASSWORD });
  const codesTo = async (): Promise<string[]> =>
    (await a.db.query<{ recipient: string }>(sql`SELECT recipient FROM notify_outbox WHERE kind = 'login-code' ORDER BY id`)).rows.map((r) => r.recipient);
  // Whoever set this password (the father, with the code his mobile received before the link), the code is not his.
  await setPatientCredential(a.db, { login: 'lea.mobile', patientId: ids.withDadsMobile, password: PASSWORD, now: a.clock.now, scrypt: { N: 1024, r: 8, p: 1 } });
  const refused = await login('lea.mobile');
  expect(refused.status).toBe(422);
  expect(refused.body.issue[0].diagnostics).toMatch(/^Le code de connexion n’est pas envoyé à l’adresse e-mail ou au numéro de mobile d’un représentant légal/);
  expect(await codesTo()).toEqual([]);
  // Léa, whose record has her own address, signs in as before.
  expect((await login('lea.petit')).status).toBe(200);
  expect(await codesTo()).toEqual(['lea@example.org']);
});

test('a contact a guardian puts on the child\'s record gets none of her codes until she confirms it herself', async () => {
  const login = (identifier: string) => request(a.app).post('/auth/login').send({ identifier, password: PASSWORD });
  const sentTo = async (kind: string): Promise<string[]> =>
    (await a.db.query<{ recipient: string }>(sql`SELECT recipient FROM notify_outbox WHERE kind = ${kind} AND patient_id = ${ids.lea} ORDER BY id`)).rows.map((r) => r.recipient);
  const change = async (token: string, name: string, parameter: object[]) =>
    request(a.app).post(`/fhir/Patient/${ids.lea}/${name}`).set('Authorization', `Bearer ${token}`).set('Content-Type', 'application/fhir+json').send({ resourceType: 'Parameters', parameter });
  const lastCode = async (): Promise<string> =>
    /\b(\d{6})\b/.exec((await a.db.query<{ body: string }>(sql`SELECT body FROM notify_outbox WHERE kind = 'contact-confirmation' AND patient_id = ${ids.lea} ORDER BY id DESC LIMIT 1`)).rows[0].body)![1];
  const email = [{ name: 'system', valueString: 'email' }, { name: 'value', valueString: 'lea.nouvelle@example.org' }];
  // The father, with his guardian token, replaces Léa's address by one he chose, and enters its code.
  const guardian = await a.token({ kind: 'guardian', id: ids.leaGuardian });
  expect((await change(guardian, '$change-contact', email)).status).toBe(200);
  expect((await change(guardian, '$confirm-contact', [{ name: 'code', valueString: await lastCode() }])).status).toBe(200);
  // Neither her sign-in code nor a reset code goes there: it may be his.
  const before = { login: await sentTo('login-code'), reset: await sentTo('password-reset') };
  const refused = await login('lea.petit');
  expect(refused.status).toBe(422);
  expect(refused.body.issue[0].diagnostics).toMatch(/d’un représentant légal/);
  expect((await request(a.app).post('/auth/reset').send({ identifier: 'lea.petit' })).status).toBe(202);
  expect({ login: await sentTo('login-code'), reset: await sentTo('password-reset') }).toEqual(before);
  // A little later Léa confirms it herself (signed in elsewhere): it is hers, and her codes go there.
  a.clock.now = new Date(a.clock.now.getTime() + 60_000);
  const lea = await a.token({ kind: 'patient', id: ids.lea });
  expect((await change(lea, '$change-contact', email)).status).toBe(200);
  expect((await change(lea, '$confirm-contact', [{ name: 'code', valueString: await lastCode() }])).status).toBe(200);
  expect((await login('lea.petit')).status).toBe(200);
  expect((await sentTo('login-code')).slice(-1)).toEqual(['lea.nouvelle@example.org']);
});

test('the contacts a parent typed when opening his child\'s record are his word: no sign-in or reset code goes there until the child confirms one', async () => {
  const login = (identifier: string) => request(a.app).post('/auth/login').send({ identifier, password: PASSWORD });
  const res = await openMinor(child([{ system: 'email', value: 'zoe@example.org' }]));
  expect(res.status).toBe(201);
  const zoe = (res.body.parameter[0].valueReference.reference as string).replace('Patient/', '');
  const sentTo = async (kind: string): Promise<string[]> =>
    (await a.db.query<{ recipient: string }>(sql`SELECT recipient FROM notify_outbox WHERE kind = ${kind} AND patient_id = ${zoe} ORDER BY id`)).rows.map((r) => r.recipient);
  // Her code given at a counter that did not check her e-mail: she activates, but the address is still her father's word.
  const am = await a.token({ kind: 'system', id: 'cnam', category: 'assurance-maladie' });
  const counter = await request(a.app).post(`/fhir/Patient/${zoe}/$issue-activation`).set('Authorization', `Bearer ${am}`);
  expect(counter.status).toBe(200);
  expect((await activate(zoe, counter.headers['x-activation-code'] as string, 'zoe.petit')).status).toBe(200);
  const refused = await login('zoe.petit');
  expect(refused.status).toBe(422);
  expect(refused.body.issue[0].diagnostics).toMatch(/d’un représentant légal/);
  expect((await request(a.app).post('/auth/reset').send({ identifier: 'zoe.petit' })).status).toBe(202);
  expect({ login: await sentTo('login-code'), reset: await sentTo('password-reset') }).toEqual({ login: [], reset: [] });
  // Confirmed in person at the counter, it is hers: her codes go there.
  a.clock.now = new Date(a.clock.now.getTime() + 60_000);
  const confirmed = await request(a.app).post(`/fhir/Patient/${zoe}/$issue-activation`).set('Authorization', `Bearer ${am}`)
    .set('Content-Type', 'application/fhir+json').send({ resourceType: 'Parameters', parameter: [{ name: 'email', valueString: 'zoe@example.org' }] });
  expect(confirmed.status).toBe(200);
  expect((await login('zoe.petit')).status).toBe(200);
  expect(await sentTo('login-code')).toEqual(['zoe@example.org']);
});
