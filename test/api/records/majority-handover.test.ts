import type { Resource } from '@medplum/fhirtypes';
import { parisDay } from '../../../src/access/guardian-rules';
import { setPatientCredential } from '../../../src/auth/patient-login';
import { main } from '../../../src/cli/majority-handover';
import { sql } from '../../../src/store/sql';
import { startAuditServer, type AuditServer } from '../audit/server-harness';
import { SmtpReceiver } from '../../unit/notify/receivers';
import { INS_NIR } from '../access/fixture';
import { withInsKey } from '../access/ins-values';
import { Mailbox } from '../access/mailbox';

// Issue 12: "nothing ends a parent's access when the child turns 18" and "at majority … the young adult receives
// credentials". The access rules end the guardian's rights at the 18th birthday (Europe/Paris) by themselves; the
// hand-over job (run here through its CLI, as an operator would) tells the former guardians and the young adult,
// revokes the credentials set while he was a minor, and sends a new activation code to his own contact — never to a
// parent's. The production composition, e-mails to a real SMTP receiver.

const smtp = new SmtpReceiver();
const mail = new Mailbox(smtp);
let s: AuditServer;
const ROLE = 'http://terminology.hl7.org/CodeSystem/v3-RoleCode';
const PASSWORD = 'correct horse battery';
const MUM = 'maman@example.org';
const DAD = 'papa@example.org';
const TEEN = 'lou@example.org';
const now = new Date();
const today = parisDay(now);
/** Born 18 years ago today (Paris): adult since this midnight. */
const ADULT_TODAY = `${Number(today.slice(0, 4)) - 18}${today.slice(4)}`;
const DAY = 86_400_000;

const patient = (id: string, given: string, birthDate: string, email?: string, insBody = '2081275123456'): Resource => ({
  resourceType: 'Patient', id, identifier: [{ system: INS_NIR, value: withInsKey(insBody) }], name: [{ family: 'PETIT', given: [given] }], gender: 'female', birthDate,
  ...(email ? { telecom: [{ system: 'email', value: email }] } : {}),
});
const guardian = (id: string, patientId: string, code: string, email: string, extra: object = {}): Resource =>
  ({ resourceType: 'RelatedPerson', id, patient: { reference: `Patient/${patientId}` }, relationship: [{ coding: [{ system: ROLE, code }] }], name: [{ family: 'PETIT' }], telecom: [{ system: 'email', value: email }], ...extra }) as Resource;

/** The CLI on the test database; answers its JSON report. */
async function runCli(...args: string[]): Promise<{ records: { patientId: string; guardians: string[]; revoked: number; codeSent: boolean }[]; skipped: string[] }> {
  let out = '';
  // The server's chain secret (startAuditServer's): the events the job writes join the patients' chains.
  expect(await main([...args, '--json'], { DATABASE_URL: 'unused', AUDIT_CHAIN_SECRET: 'test-chain-secret' }, (t) => void (out += t), s.testDb.db)).toBe(0);
  return JSON.parse(out);
}
const post = (path: string, body: object) => fetch(`${s.server.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
const handoverEvents = async (patientId: string) =>
  (await s.testDb.db.query<{ n: number }>(sql`SELECT count(*)::int AS n FROM resource WHERE type = 'AuditEvent' AND compartment = ${patientId} AND text LIKE '%majority-handover%'`)).rows[0].n;
const outboxCount = async (kind: string) => (await s.testDb.db.query<{ n: number }>(sql`SELECT count(*)::int AS n FROM notify_outbox WHERE kind = ${kind}`)).rows[0].n;

beforeAll(async () => {
  await smtp.start();
  s = await startAuditServer({ SMTP_URL: `smtp://127.0.0.1:${smtp.port}`, MAIL_FROM: 'DMP <no-reply@dmp.test>', NOTIFY_RETRY_BASE_MS: '200', NOTIFY_POLL_MS: '100', MAJORITY_HANDOVER_INTERVAL_MS: '0' });
  const ctx = s.systemContext();
  const fixtures: Resource[] = [
    // Lou turned 18 today and has an e-mail of her own; both parents were her guardians.
    patient('lou', 'Lou', ADULT_TODAY, TEEN),
    guardian('mum', 'lou', 'MTH', MUM),
    guardian('dad', 'lou', 'FTH', DAD),
    // Zoé turned 18 today too, but her record's only contact is her mother's address.
    patient('zoe', 'Zoé', ADULT_TODAY, MUM, '2081275123457'),
    guardian('mum-zoe', 'zoe', 'MTH', MUM),
    // Still a child: nothing happens.
    patient('kid', 'Kid', '2015-05-20', undefined, '2150575123458'),
    guardian('mum-kid', 'kid', 'MTH', MUM),
    // An adult under a court measure that goes on: his guardian keeps his rights.
    patient('ward', 'Paul', ADULT_TODAY, 'paul@example.org', '1081275123459'),
    guardian('tutor', 'ward', 'GUARD', 'tuteur@example.org', { period: { start: '2020-01-01', end: '2099-12-31' } }),
  ];
  for (const resource of fixtures) await s.server.service.repo.update(ctx, resource);
  // A password set for Lou's record while she was a minor (by whoever held the code then).
  await setPatientCredential(s.testDb.db, { login: 'lou.enfant', patientId: 'lou', password: PASSWORD, now: new Date(now.getTime() - 2 * DAY), scrypt: { N: 1024, r: 8, p: 1 } });
}, 120_000);

afterAll(async () => {
  await s?.close();
  await smtp.stop();
});

test('the parents lose access at the 18th birthday by themselves; the guardian of a court measure keeps it', async () => {
  expect((await s.fhir(await s.token({ kind: 'guardian', id: 'mum' }), 'GET', '/Patient/lou')).status).toBe(404);
  expect((await s.fhir(await s.token({ kind: 'guardian', id: 'mum-kid' }), 'GET', '/Patient/kid')).status).toBe(200);
  expect((await s.fhir(await s.token({ kind: 'guardian', id: 'tutor' }), 'GET', '/Patient/ward')).status).toBe(200);
});

test('before the birthday, and in a dry run, the job does nothing', async () => {
  expect((await runCli('--now', new Date(now.getTime() - 2 * DAY).toISOString())).records).toEqual([]);
  const dry = await runCli('--dry-run', '--now', now.toISOString());
  expect(dry.records.map((r) => r.patientId).sort()).toEqual(['lou', 'zoe']);
  expect(await outboxCount('guardian-access-ended')).toBe(0);
  expect(await outboxCount('activation')).toBe(0);
  expect(await handoverEvents('lou')).toBe(0);
});

/** The young adult confirms, since her birthday, the e-mail she had as a minor (signed in through an identity provider). */
async function confirmOwnEmail(patientId: string, email: string): Promise<void> {
  const me = await s.token({ kind: 'patient', id: patientId });
  const params = (p: Record<string, string>) => ({ resourceType: 'Parameters', parameter: Object.entries(p).map(([name, valueString]) => ({ name, valueString })) });
  expect((await s.fhir(me, 'POST', `/Patient/${patientId}/$change-contact`, params({ system: 'email', value: email }))).status).toBe(200);
  const { rows } = await s.testDb.db.query<{ body: string }>(sql`SELECT body FROM notify_outbox WHERE patient_id = ${patientId} AND kind = 'contact-confirmation' ORDER BY created_at DESC LIMIT 1`);
  const code = /\b(\d{6})\b/.exec(rows[0].body)![1];
  expect((await s.fhir(me, 'POST', `/Patient/${patientId}/$confirm-contact`, params({ code }))).status).toBe(200);
}

test('the hand-over tells the former guardians and the young adult, in French, and renews her credentials', async () => {
  // Every contact a record had while its holder was a minor may be a parent's: the code goes only to one she confirmed since.
  await confirmOwnEmail('lou', TEEN);
  const report = await runCli('--now', now.toISOString());
  const lou = report.records.find((r) => r.patientId === 'lou');
  expect(lou).toMatchObject({ guardians: ['dad', 'mum'], revoked: 1, codeSent: true });
  expect(report.records.find((r) => r.patientId === 'zoe')).toMatchObject({ guardians: ['mum-zoe'], codeSent: false });
  expect(report.records.map((r) => r.patientId)).not.toContain('kid');
  expect(report.records.map((r) => r.patientId)).not.toContain('ward');

  for (const parent of [MUM, DAD]) {
    const text = await mail.mailTo(parent, /Lou PETIT est majeure depuis le \d{1,2} \p{L}+ \d{4}\. /u);
    expect(text).toMatch(/Vos droits de représentant légal sur son dossier médical partagé \(DMP\) ont pris fin/);
  }
  await mail.mailTo(MUM, /Zoé PETIT est majeure depuis le/);
  const toLou = await mail.mailTo(TEEN, /Vous êtes majeure depuis le [^:]+ : vos représentants légaux n’ont plus accès à votre dossier médical partagé \(DMP\), que vous gérez désormais seule/);
  expect(toLou).toContain('Un code d’activation vous est envoyé');
  const code = /code d’activation est (\w{4}-\w{4}-\w{4})/.exec(await mail.mailTo(TEEN, /code d’activation est/))![1];

  // The credential set while she was a minor no longer signs in; the new code gives her her own.
  expect((await post('/auth/login', { identifier: 'lou.enfant', password: PASSWORD })).status).toBe(401);
  expect((await post('/auth/activate', { patient: 'lou', activation_code: code, identifier: 'lou.petit', password: PASSWORD })).status).toBe(200);
  expect((await post('/auth/login', { identifier: 'lou.petit', password: PASSWORD })).status).toBe(200);

  // Zoé's only contact is her mother's: no code there (it would hand the record back to the parent), the counter instead.
  await new Promise((r) => setTimeout(r, 1000));
  expect(mail.textsTo(MUM).some((t) => /code d’activation est/.test(t))).toBe(false);
  const { rows } = await s.testDb.db.query<{ status: string; body: string }>(sql`SELECT status, body FROM notify_outbox WHERE patient_id = 'zoe' AND kind = 'guardian-access-ended' AND channel = 'none'`);
  expect(rows).toHaveLength(1);
  expect(rows[0].body).toContain('présentez-vous avec une pièce d’identité');
}, 180_000);

test('the hand-over is in the young adult\'s trail: the server as agent, guardian access ended, credentials renewed; the chain verifies', async () => {
  const lou = await s.token({ kind: 'patient', id: 'lou' });
  const trail = await s.fhir(lou, 'GET', '/AuditEvent?patient=lou&_count=100');
  expect(trail.status).toBe(200);
  const events = (trail.body.entry ?? []).map((e: { resource: any }) => e.resource).filter((e: any) => e.subtype?.some((c: any) => c.code === 'majority-handover'));
  expect(events).toHaveLength(1);
  const [event] = events;
  expect(event.type.code).toBe('110113');
  expect(event.subtype.map((c: any) => c.code)).toEqual(['110137', 'majority-handover']);
  expect(event.action).toBe('U');
  expect(event.outcome).toBe('0');
  const requestor = event.agent.find((g: any) => g.requestor);
  expect(requestor.who.identifier.value).toBe('server:majority-handover');
  expect(requestor.role[0].coding[0].code).toBe('server');
  const patientEntity = event.entity.find((e: any) => e.what?.reference === 'Patient/lou');
  const detail = Object.fromEntries(patientEntity.detail.map((d: any) => [d.type, d.valueString]));
  expect(detail).toMatchObject({ 'majority-on': today, 'guardian-access-ended': 'RelatedPerson/dad RelatedPerson/mum', 'credentials-revoked': '1', 'activation-code': 'sent' });
  expect(detail.summary).toMatch(/^Majorité atteinte le \d{1,2} \p{L}+ \d{4} : l’accès des représentants légaux au dossier a pris fin/u);
  expect(event.entity.map((e: any) => e.what?.reference)).toEqual(expect.arrayContaining(['RelatedPerson/dad', 'RelatedPerson/mum']));
  // Zoé's event says the code is at the counter; her chain and Lou's verify.
  const zoe = await s.token({ kind: 'patient', id: 'zoe' });
  const zoeTrail = await s.fhir(zoe, 'GET', '/AuditEvent?patient=zoe&_count=100');
  const zoeEvent = zoeTrail.body.entry.map((e: { resource: any }) => e.resource).find((e: any) => e.subtype?.some((c: any) => c.code === 'majority-handover'));
  expect(zoeEvent.entity.find((e: any) => e.what?.reference === 'Patient/zoe').detail).toEqual(expect.arrayContaining([{ type: 'activation-code', valueString: 'counter' }]));
  for (const token of [lou, zoe]) {
    const verify = await s.fhir(token, 'GET', '/AuditEvent/$verify');
    expect(verify.status).toBe(200);
    expect(verify.body.parameter.find((p: any) => p.name === 'intact').valueBoolean).toBe(true);
  }
  // Nobody else's trail got it.
  expect(await handoverEvents('kid')).toBe(0);
  expect(await handoverEvents('ward')).toBe(0);
});

test('a second run finds nothing to do, and the former guardians receive no notice of the record any more', async () => {
  expect((await runCli('--now', now.toISOString())).records).toEqual([]);
  expect(await handoverEvents('lou')).toBe(1);
  const before = await outboxCount('guardian-access-ended');
  expect(before).toBe(5); // Lou, her two parents; Zoé (no recipient), her mother
  // A later notice of Lou's record goes to Lou only.
  const { queueNotices } = await import('../../../src/notify/outbox');
  await s.testDb.db.transaction((tx) => queueNotices(tx, [{ key: 'test-later', kind: 'record-closed', patientId: 'lou', text: { subject: 's', body: 'b' }, createdAt: new Date() }]));
  const { rows } = await s.testDb.db.query<{ recipient: string }>(sql`SELECT recipient FROM notify_outbox WHERE idempotency_key LIKE 'test-later%'`);
  expect(rows.map((r) => r.recipient)).toEqual([TEEN]);
});

test('without a contact of her own, Zoé gets her code at an Assurance Maladie counter, on paper only', async () => {
  const am = await s.token({ kind: 'system', id: 'cnam', category: 'assurance-maladie' });
  for (const token of [await s.token({ kind: 'practitioner', id: '10000000001' }), await s.token({ kind: 'guardian', id: 'mum-zoe' }), await s.token({ kind: 'patient', id: 'zoe' })]) {
    expect((await s.fhir(token, 'POST', '/Patient/zoe/$issue-activation')).status).toBe(403);
  }
  expect((await s.fhir(am, 'POST', '/Patient/nobody/$issue-activation')).status).toBe(404);
  const seen = mail.count;
  const res = await fetch(`${s.server.fhirUrl}/Patient/zoe/$issue-activation`, { method: 'POST', headers: { authorization: `Bearer ${am}` } });
  expect(res.status).toBe(200);
  expect(res.headers.get('cache-control')).toBe('no-store');
  const code = res.headers.get('x-activation-code') as string;
  expect(code).toMatch(/^\w{4}-\w{4}-\w{4}$/);
  expect(await res.text()).not.toContain(code);
  expect((await post('/auth/activate', { patient: 'zoe', activation_code: code, identifier: 'zoe.petit', password: PASSWORD })).status).toBe(200);
  await new Promise((r) => setTimeout(r, 1000));
  expect(smtp.received.slice(seen).map((m) => m.data).join('')).not.toContain(code); // not to her mother's address
}, 120_000);
