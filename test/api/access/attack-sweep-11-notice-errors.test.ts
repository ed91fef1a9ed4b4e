import type { AddressInfo } from 'node:net';
import type { Resource } from '@medplum/fhirtypes';
import { SMTPServer } from 'smtp-server';
import { startAuditServer, waitFor, type AuditServer } from '../audit/server-harness';
import { consent, INS_NIR } from './fixture';
import { withInsKey } from './ins-values';

// Attack sweep 11, family "data others write, shown to someone else". The record's notices are read back as
// Communications by the patient and by each legal guardian (notify/communication-view.ts), with the provider's answer
// when delivery failed. A mail server's refusal quotes the address it refused ("550 5.1.1 <x@y>: …"): one parent read
// the other's address, which the record never shows him (separated parents, a parent kept away from a new address).
// Rule: the provider's text is shown without the addresses and numbers it quotes, as the logs already write it.

const MUM = 'maman@example.org';
const DAD = 'papa.nouvelle-adresse@example.org';
const ROLE = 'http://terminology.hl7.org/CodeSystem/v3-RoleCode';
const KID_INS = withInsKey('2150575123461');
let smtp: SMTPServer;
let s: AuditServer;

beforeAll(async () => {
  // A mail server that refuses the father's mailbox, quoting it as real servers do.
  smtp = new SMTPServer({
    authOptional: true, disabledCommands: ['STARTTLS', 'AUTH'], logger: false,
    onRcptTo: (address, _session, callback) => {
      if (address.address !== DAD) return callback();
      const refusal = Object.assign(new Error(`5.1.1 <${DAD}>: Recipient address rejected: mailbox full`), { responseCode: 550 });
      return callback(refusal);
    },
    onData: (stream, _session, callback) => {
      stream.on('data', () => undefined);
      stream.on('end', () => callback());
    },
  });
  await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', () => resolve()));
  const port = (smtp.server.address() as AddressInfo).port;
  s = await startAuditServer({ SMTP_URL: `smtp://127.0.0.1:${port}`, MAIL_FROM: 'DMP <no-reply@dmp.test>', NOTIFY_RETRY_BASE_MS: '200', NOTIFY_POLL_MS: '100' });
  const guardian = (id: string, code: string, email: string): Resource =>
    ({ resourceType: 'RelatedPerson', id, patient: { reference: 'Patient/kid' }, relationship: [{ coding: [{ system: ROLE, code }] }], name: [{ family: 'PETIT' }], telecom: [{ system: 'email', value: email }] }) as Resource;
  const fixtures: Resource[] = [
    { resourceType: 'Patient', id: 'kid', identifier: [{ system: INS_NIR, value: KID_INS }], name: [{ family: 'PETIT', given: ['Lou'] }], gender: 'female', birthDate: '2015-05-20' } as Resource,
    consent('kid-open', 'kid', { type: 'permit' }),
    guardian('mum', 'MTH', MUM),
    guardian('dad', 'FTH', DAD),
  ];
  for (const resource of fixtures) await s.server.service.repo.update(s.systemContext(), resource);
}, 120_000);

afterAll(async () => {
  await s?.close();
  await new Promise<void>((resolve) => smtp.close(() => resolve()));
});

test('the mother reads that the father\'s notice failed, never his address; so does the child', async () => {
  const btg = await s.token({ kind: 'practitioner', id: '10000000055', purpose: 'BTG', reason: 'enfant inconscient' });
  expect((await s.fhir(btg, 'GET', '/Patient/kid')).status).toBe(200);
  const failed = async (token: string) => {
    const res = await s.fhir(token, 'GET', '/Communication?patient=Patient/kid');
    return ((res.body?.entry ?? []) as { resource: { status: string; statusReason?: { text?: string } } }[]).map((e) => e.resource).filter((c) => c.status === 'not-done');
  };
  const mum = await s.token({ kind: 'guardian', id: 'mum' });
  await waitFor(async () => (await failed(mum)).length > 0, 60_000, 'the father\'s notice marked failed');
  for (const reader of [mum, await s.token({ kind: 'patient', id: 'kid' })]) {
    const notDone = await failed(reader);
    expect(notDone).toHaveLength(1);
    // The failure is told (the comparison can fail: the provider's words are there) without the address it quotes.
    expect(notDone[0].statusReason?.text).toMatch(/550.*Recipient address rejected/);
    expect(JSON.stringify(notDone)).not.toContain('nouvelle-adresse');
  }
});
