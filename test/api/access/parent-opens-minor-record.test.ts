import type { Patient, Resource } from '@medplum/fhirtypes';
import { sql } from '../../../src/store/sql';
import { startAuditServer, type AuditServer } from '../audit/server-harness';
import { SmtpReceiver } from '../../unit/notify/receivers';
import { consent, INS_NIR, RPPS } from './fixture';
import { withInsKey, withWrongKey } from './ins-values';
import { Mailbox } from './mailbox';

// Issue 12: "a parent cannot open the record of his own child". A parent signed in on his own record opens his minor
// child's record with Patient/$open-minor-record and becomes its legal guardian: the child's INS must agree with the
// declared birth date and sex, the child must be a minor (Europe/Paris) with no record yet (409), the link is traced
// in the child's trail and notified. Strangers — professionals, guardians, the Assurance Maladie, a token without a
// record of its own, a minor — are refused, and nobody takes over an existing record this way.

const smtp = new SmtpReceiver();
const mail = new Mailbox(smtp);
let s: AuditServer;
const tokens: Record<string, string> = {};
const DAD = 'papa@example.org';
const LEA = 'lea@example.org';
const LEA_INS = withInsKey('2160375123456'); // a girl born in March 2016
const DAD_INS = withInsKey('1800175123457');

const child = (extra: Partial<Patient> = {}): Patient => ({
  resourceType: 'Patient', identifier: [{ system: INS_NIR, value: LEA_INS }], name: [{ use: 'official', family: 'PETIT', given: ['Léa'] }], gender: 'female', birthDate: '2016-03-10', ...extra,
});
const params = (patient: Patient, relationship = 'FTH') => ({ resourceType: 'Parameters', parameter: [{ name: 'patient', resource: patient }, { name: 'relationship', valueCode: relationship }] });
const open = (who: string, body: object) => s.fhir(tokens[who], 'POST', '/Patient/$open-minor-record', body);
const patientCount = async () => (await s.testDb.db.query<{ n: number }>(sql`SELECT count(*)::int AS n FROM resource WHERE type = 'Patient' AND NOT deleted`)).rows[0].n;

beforeAll(async () => {
  await smtp.start();
  s = await startAuditServer({ SMTP_URL: `smtp://127.0.0.1:${smtp.port}`, MAIL_FROM: 'DMP <no-reply@dmp.test>', NOTIFY_RETRY_BASE_MS: '200', NOTIFY_POLL_MS: '100' });
  const ctx = s.systemContext();
  const fixtures: Resource[] = [
    { resourceType: 'Patient', id: 'dad', identifier: [{ system: INS_NIR, value: DAD_INS }], name: [{ use: 'official', family: 'PETIT', given: ['Marc'] }], gender: 'male', birthDate: '1980-01-15', telecom: [{ system: 'email', value: DAD }] },
    consent('dad-open', 'dad', { type: 'permit' }),
    { resourceType: 'Patient', id: 'teen', identifier: [{ system: INS_NIR, value: withInsKey('1100175123458') }], name: [{ family: 'JEUNE' }], gender: 'male', birthDate: '2010-01-20' },
    { resourceType: 'Patient', id: 'eve', identifier: [{ system: INS_NIR, value: withInsKey('2750175123459') }], name: [{ family: 'INCONNUE' }], gender: 'female', birthDate: '1975-01-02' },
  ];
  for (const resource of fixtures) await s.server.service.repo.update(ctx, resource);
  tokens.dad = await s.token({ kind: 'patient', id: 'dad' });
  tokens.eve = await s.token({ kind: 'patient', id: 'eve' });
  tokens.teen = await s.token({ kind: 'patient', id: 'teen' });
  tokens.insOnly = await s.token({ kind: 'patient', id: withInsKey('1850175123450') });
  tokens.gp = await s.token({ kind: 'practitioner', id: RPPS.gp });
  tokens.am = await s.token({ kind: 'system', id: 'cnam', category: 'assurance-maladie' });
  tokens.feeder = await s.token({ kind: 'system', id: 'lab-feeder' });
}, 120_000);

afterAll(async () => {
  await s?.close();
  await smtp.stop();
});

describe('what a parent must prove, and who is refused', () => {
  test('strangers are refused with 403 and nothing is written: professionals, systems, a token without a record, a minor', async () => {
    const before = await patientCount();
    for (const who of ['gp', 'am', 'feeder', 'insOnly', 'teen']) {
      const res = await open(who, params(child()));
      expect({ who, status: res.status, type: res.body?.resourceType }).toEqual({ who, status: 403, type: 'OperationOutcome' });
    }
    expect(await patientCount()).toBe(before);
  });

  test('the child\'s INS must be well-formed and agree with the declared birth date and sex; the child must be a minor', async () => {
    const before = await patientCount();
    const cases: [string, Patient][] = [
      ['wrong control key', child({ identifier: [{ system: INS_NIR, value: withWrongKey('2160375123456') }] })],
      ['birth month not the INS one', child({ birthDate: '2016-04-10' })],
      ['birth year not the INS one', child({ birthDate: '2015-03-10' })],
      ['sex not the INS one', child({ gender: 'male' })],
      ['an adult', child({ identifier: [{ system: INS_NIR, value: withInsKey('2000375123451') }], birthDate: '2000-03-10' })],
      ['no INS', child({ identifier: [] })],
      ['the parent\'s own INS', child({ identifier: [{ system: INS_NIR, value: DAD_INS }], gender: 'male', birthDate: '1980-01-15' })],
      ['the parent\'s address as the child\'s', child({ telecom: [{ system: 'email', value: DAD }] })],
    ];
    for (const [why, patient] of cases) {
      const res = await open('dad', params(patient));
      expect({ why, status: res.status }).toEqual({ why, status: 422 });
      expect(res.body.resourceType).toBe('OperationOutcome');
    }
    expect((await open('dad', params(child(), 'GUARD'))).status).toBe(400); // a court guardian: the identity procedure
    expect(await patientCount()).toBe(before);
  });
});

describe('a parent opens his daughter\'s record', () => {
  let childId: string;
  let guardianId: string;

  test('the record, its opening and the guardian link are created; the child is told (her activation code is given in person), the father is told', async () => {
    const seen = mail.count;
    const res = await open('dad', params(child({ telecom: [{ system: 'email', value: LEA }] })));
    expect(res.status).toBe(201);
    childId = /^Patient\/(.+)$/.exec(res.body.parameter.find((p: { name: string }) => p.name === 'patient').valueReference.reference)![1];
    guardianId = /^RelatedPerson\/(.+)$/.exec(res.body.parameter.find((p: { name: string }) => p.name === 'guardian').valueReference.reference)![1];
    // No activation code to what the parent typed (it could be his own second address): given to the child in person.
    expect(res.body.parameter.find((p: { name: string }) => p.name === 'information').valueString).toMatch(/il lui est remis en personne/);
    const told = await mail.mailTo(DAD, /Ouverture|a été ouvert le/, seen);
    expect(told).toContain('Vous recevez cet avis en tant que représentant légal du dossier médical partagé de Léa PETIT.');
    expect(told).toMatch(/par Marc PETIT, qui s’est déclaré représentant légal/);
    await mail.mailTo(LEA, /par Marc PETIT, qui s’est déclaré représentant légal/, seen);
    expect(mail.textsTo(DAD).some((t) => /code d’activation est/.test(t))).toBe(false);
    expect(mail.textsTo(LEA).some((t) => /code d’activation est/.test(t))).toBe(false);
  }, 120_000);

  test('the father acts as the guardian: he reads and manages the record; the link is in the child\'s trail', async () => {
    tokens.guardian = await s.token({ kind: 'guardian', id: guardianId });
    const read = await s.fhir(tokens.guardian, 'GET', `/Patient/${childId}`);
    expect(read.status).toBe(200);
    expect(read.body.birthDate).toBe('2016-03-10');
    const link = await s.fhir(tokens.guardian, 'GET', `/RelatedPerson/${guardianId}`);
    expect(link.body).toMatchObject({ patient: { reference: `Patient/${childId}` }, relationship: [{ coding: [{ code: 'FTH' }] }], telecom: [{ system: 'email', value: DAD }] });
    const opened = await s.fhir(tokens.guardian, 'GET', `/Consent?patient=Patient/${childId}`);
    expect(opened.body.total).toBe(1);
    const trail = await s.fhir(tokens.guardian, 'GET', `/AuditEvent?patient=Patient/${childId}&_count=100`);
    expect(trail.status).toBe(200);
    const named = JSON.stringify(trail.body);
    expect(named).toContain(`RelatedPerson/${guardianId}`);
    expect(named).toContain('Patient/dad');
    // The parent's own patient token is not the child's: the child's record stays out of his own.
    expect((await s.fhir(tokens.dad, 'GET', `/Patient/${childId}`)).status).toBe(404);
  });

  test('nobody opens that record a second time: 409, neutral for whoever cannot read it', async () => {
    for (const who of ['dad', 'eve']) {
      const again = await open(who, params(child(), 'MTH'));
      expect({ who, status: again.status }).toEqual({ who, status: 409 });
      expect(JSON.stringify(again.body)).not.toContain(childId);
    }
    const { rows } = await s.testDb.db.query<{ n: number }>(sql`SELECT count(*)::int AS n FROM access_guardian WHERE patient_id = ${childId}`);
    expect(rows[0].n).toBe(1);
  });
});
