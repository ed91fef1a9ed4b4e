import type { AuditEvent, Communication, Patient, Resource } from '@medplum/fhirtypes';
import { setPatientCredential } from '../../../src/auth/patient-login';
import { sql } from '../../../src/store/sql';
import { startAuditServer, type AuditServer } from '../audit/server-harness';
import { SmtpReceiver } from '../../unit/notify/receivers';
import { IDNAT, INS_NIR, RPPS } from './fixture';
import { withInsKey } from './ins-values';
import { Mailbox } from './mailbox';

// Issue 12: a guardian link written after a minor's record, carrying one of the record's own contacts, retires the
// child's pending activation code (it went, or may have gone, to the parent). That retirement is an act on the holder's
// credentials: it is its own AuditEvent of the child's trail (readable by him, said in French), and the holder is told
// — at a contact of his own, never at the guardian's address that caused it — with the way forward: a new code given in
// person at an Assurance Maladie counter. Real server, real SMTP receiver.

const smtp = new SmtpReceiver();
const mail = new Mailbox(smtp);
let s: AuditServer;
const tokens: Record<string, string> = {};
const ROLE = 'http://terminology.hl7.org/CodeSystem/v3-RoleCode';
const DAD = 'papa.durand@example.org';
const LEA = 'lea.durand@example.org';
const PASSWORD = 'Tournesol-cerf-volant-brume-1987';
let serial = 10;

const child = (given: string, telecom: Patient['telecom']): Patient => ({
  resourceType: 'Patient', identifier: [{ system: INS_NIR, value: withInsKey(`2160375123${400 + serial++}`) }], name: [{ use: 'official', family: 'DURAND', given: [given] }],
  gender: 'female', birthDate: '2016-03-10', telecom,
});
const fatherOf = (childId: string): Resource =>
  ({ resourceType: 'RelatedPerson', active: true, patient: { reference: `Patient/${childId}` }, relationship: [{ coding: [{ system: ROLE, code: 'FTH' }] }], name: [{ family: 'DURAND', given: ['Marc'] }], telecom: [{ system: 'email', value: 'Papa.Durand@example.org ' }] }) as Resource;
const activate = (patient: string, code: string, identifier: string) =>
  fetch(`${s.server.url}/auth/activate`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ patient, activation_code: code, identifier, password: PASSWORD }) });
const retiredNotices = async (patientId: string) =>
  (await s.testDb.db.query<{ recipient: string | null; status: string; body: string }>(sql`SELECT recipient, status, body FROM notify_outbox WHERE kind = 'activation-code-retired' AND patient_id = ${patientId} ORDER BY id`)).rows;

/** Creates the child's record as the treating physician, then links her father, whose address the record carries. */
async function createThenLinkFather(given: string, telecom: Patient['telecom']): Promise<{ childId: string; printed: string; linkId: string }> {
  const created = await fetch(`${s.server.fhirUrl}/Patient`, {
    method: 'POST', headers: { authorization: `Bearer ${tokens.gp}`, 'content-type': 'application/fhir+json' }, body: JSON.stringify(child(given, telecom)),
  });
  expect(created.status).toBe(201);
  const childId = ((await created.json()) as Patient).id as string;
  const printed = created.headers.get('x-activation-code') as string;
  expect(printed).toMatch(/^\w{4}-\w{4}-\w{4}$/);
  const linked = await s.fhir(tokens.gp, 'POST', '/RelatedPerson', fatherOf(childId));
  expect(linked.status).toBe(201);
  return { childId, printed, linkId: linked.body.id as string };
}

beforeAll(async () => {
  await smtp.start();
  s = await startAuditServer({ SMTP_URL: `smtp://127.0.0.1:${smtp.port}`, MAIL_FROM: 'DMP <no-reply@dmp.test>', NOTIFY_RETRY_BASE_MS: '200', NOTIFY_POLL_MS: '100' });
  await s.server.service.repo.update(s.systemContext(), { resourceType: 'Practitioner', id: 'gp', identifier: [{ system: IDNAT, value: `8${RPPS.gp}` }], name: [{ family: 'GENERALISTE', given: ['Jean'] }] });
  tokens.gp = await s.token({ kind: 'practitioner', id: RPPS.gp });
}, 120_000);

afterAll(async () => {
  await s?.close();
  await smtp.stop();
});

test('the child is told at her own address, in French with the Paris time and the counter as the way forward; her father\'s address is not', async () => {
  // The record's best-ranked e-mail is her father's (the activation code goes there); her own comes second.
  const { childId, printed } = await createThenLinkFather('Léa', [{ system: 'email', value: DAD, rank: 1 }, { system: 'email', value: LEA, rank: 2 }]);
  expect(await mail.mailTo(DAD, /Votre code d’activation est \w{4}-\w{4}-\w{4}/)).toBeDefined();
  const text = await mail.mailTo(LEA, /code d’activation/);
  expect(text).toMatch(/Le code d’activation de votre dossier médical partagé \(DMP\) a été annulé le \d{1,2} \p{L}+ \d{4} à \d{2}:\d{2} /u);
  expect(text).toContain('présentez-vous, muni d’une pièce d’identité, à un accueil de votre caisse d’Assurance Maladie');
  // No code, no address, no name, no health data in it.
  expect(text).not.toMatch(/\b[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}\b/);
  expect(text).not.toContain(DAD);
  expect(text).not.toMatch(/\b\d{13,15}\b/);
  // Paris time: the notice's hour is the Paris hour of its queuing instant.
  const queued = (await s.testDb.db.query<{ created_at: Date }>(sql`SELECT created_at FROM notify_outbox WHERE kind = 'activation-code-retired' AND patient_id = ${childId}`)).rows[0].created_at;
  const paris = new Intl.DateTimeFormat('fr-FR', { timeZone: 'Europe/Paris', hour: '2-digit', minute: '2-digit' }).format(new Date(queued));
  expect(text).toContain(`à ${paris.replace(' h ', ':')}`);
  // Only Léa's address: nothing of it was queued for, or reached, her father.
  expect((await retiredNotices(childId)).map((r) => [r.recipient, r.status])).toEqual([[LEA, expect.stringMatching(/pending|sending|delivered/)]]);
  expect(mail.textsTo(DAD).filter((t) => /n’est plus valable|annulé/.test(t))).toEqual([]);
  // The printed code (the one her father's mailbox got) no longer activates the record.
  expect((await activate(childId, printed, 'lea.durand')).status).toBe(400);
});

test('the retirement is its own AuditEvent of the child\'s trail: who linked, which link, why, and a French summary the child reads', async () => {
  const { childId, linkId } = await createThenLinkFather('Inès', [{ system: 'email', value: DAD }]);
  const child = await s.token({ kind: 'patient', id: childId });
  const trail = await s.fhir(child, 'GET', `/AuditEvent?patient=Patient/${childId}&_count=100`);
  expect(trail.status).toBe(200);
  const events = (trail.body.entry ?? []).map((e: { resource: AuditEvent }) => e.resource) as AuditEvent[];
  const retired = events.filter((e) => e.subtype?.some((c) => c.system === 'urn:dmp-fhir-adapter:account-procedure' && c.code === 'activation-code-retired'));
  expect(retired).toHaveLength(1);
  const [event] = retired;
  expect(event.type?.code).toBe('110113');
  expect(event.outcome).toBe('0');
  // By whom: the professional who wrote the link (his national identifier), not the server.
  const requestor = event.agent?.find((a) => a.requestor);
  expect(requestor?.who?.identifier?.value).toBe(`8${RPPS.gp}`);
  expect(event.entity?.some((x) => x.what?.reference?.startsWith(`RelatedPerson/${linkId}`))).toBe(true);
  const details = Object.fromEntries((event.entity?.find((x) => x.what?.reference === `Patient/${childId}`)?.detail ?? []).map((d) => [d.type, d.valueString]));
  expect(details).toMatchObject({ reason: 'guardian-contact', guardian: `RelatedPerson/${linkId}`, 'shared-channel': 'email', 'codes-retired': 'activation:1 password-reset:0' });
  expect(details.summary).toMatch(/^Code d’activation annulé le \d{1,2} \p{L}+ \d{4} à \d{2}:\d{2} : il avait pu parvenir à un représentant légal/u);
  expect(details.summary).toContain('remis en personne, à un accueil de l’Assurance Maladie');
  expect(JSON.stringify(event)).not.toContain(DAD);
});

test('with no contact of her own, nothing is sent to anyone; the notice is kept and she reads it among her notices once activated at the counter', async () => {
  const before = mail.count;
  const { childId } = await createThenLinkFather('Zoé', [{ system: 'email', value: DAD }]);
  expect((await retiredNotices(childId)).map((r) => [r.recipient, r.status])).toEqual([[null, 'no-recipient']]);
  // At the counter, with her identity papers, she gets a code and her own address recorded; she activates.
  const am = await s.token({ kind: 'system', id: 'cnam', category: 'assurance-maladie' });
  const counter = await fetch(`${s.server.fhirUrl}/Patient/${childId}/$issue-activation`, {
    method: 'POST', headers: { authorization: `Bearer ${am}`, 'content-type': 'application/fhir+json' },
    body: JSON.stringify({ resourceType: 'Parameters', parameter: [{ name: 'email', valueString: 'zoe.durand@example.org' }] }),
  });
  expect(counter.status).toBe(200);
  expect((await activate(childId, counter.headers.get('x-activation-code') as string, 'zoe.durand')).status).toBe(200);
  const zoe = await s.token({ kind: 'patient', id: childId });
  const notices = await s.fhir(zoe, 'GET', `/Communication?patient=${childId}`);
  expect(notices.status).toBe(200);
  const retired = ((notices.body.entry ?? []) as { resource: Communication }[]).map((e) => e.resource)
    .filter((c) => c.category?.[0]?.coding?.[0]?.code === 'activation-code-retired');
  expect(retired).toHaveLength(1);
  expect(retired[0].payload?.[0]?.contentString).toMatch(/^Le code d’activation de votre dossier médical partagé \(DMP\) a été annulé le /);
  // Her father's mailbox got her activation code once (at creation), and nothing about its retirement.
  await new Promise((r) => setTimeout(r, 500));
  expect(mail.textsTo(DAD).slice(0).filter((t) => /annulé/.test(t))).toEqual([]);
  expect(mail.count).toBeGreaterThan(before);
});

test('a guardian link that shares no contact with the record, or a record with no pending code, records and sends nothing', async () => {
  const created = await s.fhir(tokens.gp, 'POST', '/Patient', child('Maya', [{ system: 'email', value: 'maya.durand@example.org' }]));
  expect(created.status).toBe(201);
  const childId = created.body.id as string;
  expect((await s.fhir(tokens.gp, 'POST', '/RelatedPerson', fatherOf(childId))).status).toBe(201);
  expect(await retiredNotices(childId)).toEqual([]);
  const { rows } = await s.testDb.db.query<{ n: number }>(sql`SELECT count(*)::int AS n FROM resource WHERE type = 'AuditEvent' AND compartment = ${childId} AND text LIKE '%activation-code-retired%'`);
  expect(rows[0].n).toBe(0);
});

test('a password-reset code pending at that address is retired too: it no longer sets the password, and the trail says so', async () => {
  const DAD2 = 'papa.bis@example.org';
  const created = await s.fhir(tokens.gp, 'POST', '/Patient', child('Nina', [{ system: 'email', value: DAD2 }]));
  expect(created.status).toBe(201);
  const childId = created.body.id as string;
  await setPatientCredential(s.testDb.db, { login: 'nina.durand', patientId: childId, password: PASSWORD, scrypt: { N: 1024, r: 8, p: 1 } });
  const after = mail.count;
  const asked = await fetch(`${s.server.url}/auth/reset`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ identifier: 'nina.durand' }) });
  expect(asked.status).toBe(202);
  const code = /\b(\d{6})\b/.exec(await mail.mailTo(DAD2, /réinitialisation/, after))![1];
  const linked = await s.fhir(tokens.gp, 'POST', '/RelatedPerson', { ...fatherOf(childId), telecom: [{ system: 'email', value: DAD2 }] });
  expect(linked.status).toBe(201);
  const confirm = await fetch(`${s.server.url}/auth/reset/confirm`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ identifier: 'nina.durand', code, password: 'Autre-phrase-de-passe-tres-longue-42' }) });
  expect(confirm.status).toBe(400);
  const nina = await s.token({ kind: 'patient', id: childId });
  const trail = await s.fhir(nina, 'GET', `/AuditEvent?patient=Patient/${childId}&_count=100`);
  const event = ((trail.body.entry ?? []) as { resource: AuditEvent }[]).map((e) => e.resource)
    .find((e) => e.subtype?.some((c) => c.code === 'activation-code-retired'));
  const details = Object.fromEntries((event?.entity?.find((x) => x.what?.reference === `Patient/${childId}`)?.detail ?? []).map((d) => [d.type, d.valueString]));
  expect(details['codes-retired']).toBe('activation:1 password-reset:1');
  expect(details.summary).toMatch(/^Code d’activation et code de réinitialisation du mot de passe annulés le /);
});
