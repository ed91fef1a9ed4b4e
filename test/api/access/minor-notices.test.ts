import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Bundle, BundleEntry, DocumentReference, Resource } from '@medplum/fhirtypes';
import { sql } from '../../../src/store/sql';
import { startAuditServer, type AuditServer } from '../audit/server-harness';
import { SmtpReceiver } from '../../unit/notify/receivers';
import { A07, byRpps, consent, IDNAT, INS_NIR, RPPS } from './fixture';
import { withInsKey } from './ins-values';
import { Mailbox } from './mailbox';

// Issue 12: "notices for a child go nowhere although the parent has an e-mail". Every notice of a minor's record — a
// new document, a professional's first access, an emergency access, the record's life — reaches each guardian whose
// link counts (a minor in Europe/Paris), at the guardian's own contact, in French, saying whose record it is. A
// document hidden from legal representatives is announced to nobody; a parent whose link ended gets nothing.

const smtp = new SmtpReceiver();
const mail = new Mailbox(smtp);
let s: AuditServer;
const tokens: Record<string, string> = {};
const KID_INS = withInsKey('2150575123458');
const MUM = 'maman@example.org';
const DAD = 'papa@example.org';
const FORMER = 'ancien-tuteur@example.org';
const ROLE = 'http://terminology.hl7.org/CodeSystem/v3-RoleCode';
const ITI65 = readFileSync(path.join(__dirname, '../../../fixtures/pdsm/iti65-submission.json'), 'utf8');

const guardian = (id: string, code: string, email: string, extra: object = {}): Resource =>
  ({ resourceType: 'RelatedPerson', id, patient: { reference: 'Patient/kid' }, relationship: [{ coding: [{ system: ROLE, code }] }], name: [{ family: 'PETIT' }], telecom: [{ system: 'email', value: email }], ...extra }) as Resource;

/** A lab document for the child by the treating physician (ITI-65), flagged `flag` (TRE_A07) when given. */
async function submit(name: string, flag?: string, author = RPPS.gp): Promise<void> {
  const bundle = JSON.parse(ITI65.split('180057512345627').join(KID_INS).split('810001234567').join(`8${author}`)) as Bundle;
  const doc = (bundle.entry as BundleEntry[])[1].resource as DocumentReference;
  if (doc.masterIdentifier) doc.masterIdentifier = { ...doc.masterIdentifier, value: `${doc.masterIdentifier.value}.${name}` };
  if (flag) doc.securityLabel = [...(doc.securityLabel ?? []), { coding: [{ system: A07, code: flag }] }];
  const res = await s.fhir(tokens.feeder, 'POST', '', bundle);
  expect([name, res.status, res.status === 200 ? '' : JSON.stringify(res.body)]).toEqual([name, 200, '']);
}

beforeAll(async () => {
  await smtp.start();
  s = await startAuditServer({ SMTP_URL: `smtp://127.0.0.1:${smtp.port}`, MAIL_FROM: 'DMP <no-reply@dmp.test>', NOTIFY_RETRY_BASE_MS: '200', NOTIFY_POLL_MS: '100' });
  const ctx = s.systemContext();
  const fixtures: Resource[] = [
    { resourceType: 'Practitioner', id: 'gp', identifier: [{ system: IDNAT, value: `8${RPPS.gp}` }], name: [{ family: 'GENERALISTE' }] },
    { resourceType: 'Practitioner', id: 'spec', identifier: [{ system: IDNAT, value: `8${RPPS.spec}` }], name: [{ family: 'SPECIALISTE' }] },
    // A ten-year-old without any contact of his own.
    { resourceType: 'Patient', id: 'kid', identifier: [{ system: INS_NIR, value: KID_INS }], name: [{ family: 'PETIT', given: ['Lou'] }], gender: 'female', birthDate: '2015-05-20', generalPractitioner: [{ reference: 'Practitioner/gp' }] },
    consent('kid-open', 'kid', { type: 'permit' }),
    consent('kid-spec', 'kid', { type: 'permit', actor: [byRpps(RPPS.spec)] }),
    // A professional who sees the child in confidence (Code de la santé publique, L1111-5).
    { resourceType: 'Practitioner', id: 'confidant', identifier: [{ system: IDNAT, value: `8${RPPS.other}` }], name: [{ family: 'CONFIDENT' }] },
    consent('kid-confidant', 'kid', { type: 'permit', actor: [byRpps(RPPS.other)] }),
    guardian('mum', 'MTH', MUM),
    guardian('dad', 'FTH', DAD),
    // A former guardian whose link ended: no notice any more.
    guardian('former', 'GUARD', FORMER, { period: { start: '2016-01-01', end: '2020-12-31' } }),
  ];
  for (const resource of fixtures) await s.server.service.repo.update(ctx, resource);
  tokens.feeder = await s.token({ kind: 'system', id: 'lab-feeder' });
  tokens.spec = await s.token({ kind: 'practitioner', id: RPPS.spec });
  tokens.btg = await s.token({ kind: 'practitioner', id: '10000000055', purpose: 'BTG', reason: 'enfant inconscient' });
  tokens.mum = await s.token({ kind: 'guardian', id: 'mum' });
  tokens.confidant = await s.token({ kind: 'practitioner', id: RPPS.other });
}, 120_000);

afterAll(async () => {
  await s?.close();
  await smtp.stop();
});

const WHOSE = 'Vous recevez cet avis en tant que représentant légal du dossier médical partagé de Lou PETIT.';

test('a new document in the child\'s record is announced to each parent, in French, naming the child', async () => {
  await submit('visible');
  for (const parent of [MUM, DAD]) {
    const text = await mail.mailTo(parent, /Un nouveau document a été ajouté/);
    expect(text).toContain(WHOSE);
    expect(text).toMatch(/le \d{1,2} \p{L}+ \d{4} à \d{2}:\d{2}/u);
  }
}, 120_000);

test('a document hidden from legal representatives is announced to nobody', async () => {
  await submit('hidden', 'INVISIBLE_REPRESENTANTS_LEGAUX');
  // The outbox is what will ever be sent: the visible document's two notices only (e-mails may still be on their way).
  const { rows } = await s.testDb.db.query<{ recipient: string }>(sql`SELECT recipient FROM notify_outbox WHERE kind = 'document-added' ORDER BY recipient`);
  expect(rows.map((r) => r.recipient)).toEqual([MUM, DAD].sort());
}, 120_000);

test('a professional\'s first access and a break-glass access reach the parents', async () => {
  expect((await s.fhir(tokens.spec, 'GET', '/Patient/kid')).status).toBe(200);
  const first = await mail.mailTo(MUM, /a consulté votre dossier médical partagé \(DMP\) pour la première fois/);
  expect(first).toContain(WHOSE);
  await mail.mailTo(DAD, /pour la première fois/);
  expect((await s.fhir(tokens.btg, 'GET', '/Patient/kid/$everything', undefined, { 'X-Purpose-Of-Use': 'BTG', 'X-Purpose-Reason': encodeURIComponent('enfant inconscient') })).status).toBe(200);
  const urgent = await mail.mailTo(MUM, /bris de glace/);
  expect(urgent).toContain('Motif indiqué : enfant inconscient');
  expect(urgent).toContain(WHOSE);
}, 120_000);

test('the access of a professional who wrote a document hidden from the parents is not told to them', async () => {
  await submit('confidential', 'INVISIBLE_REPRESENTANTS_LEGAUX', RPPS.other);
  expect((await s.fhir(tokens.confidant, 'GET', '/Patient/kid')).status).toBe(200);
  const { rows } = await s.testDb.db.query<{ recipient: string | null; status: string }>(sql`SELECT recipient, status FROM notify_outbox
    WHERE kind = 'first-access' AND idempotency_key LIKE ${`first-access:kid|%${RPPS.other}%`}`);
  expect(rows).toEqual([{ recipient: null, status: 'no-recipient' }]);
});

test('the record\'s closure by a parent is told to both parents; a former guardian was never told anything', async () => {
  const closed = await s.fhir(tokens.mum, 'POST', '/Patient/kid/$close', { resourceType: 'Parameters', parameter: [{ name: 'reason', valueCode: 'patient-request' }] });
  expect(closed.status).toBe(200);
  for (const parent of [MUM, DAD]) expect(await mail.mailTo(parent, /a été fermé le/)).toContain(WHOSE);
  expect(mail.textsTo(FORMER)).toEqual([]);
  const { rows } = await s.testDb.db.query<{ n: number }>(sql`SELECT count(*)::int AS n FROM notify_outbox WHERE recipient = ${FORMER}`);
  expect(rows[0].n).toBe(0);
}, 120_000);
