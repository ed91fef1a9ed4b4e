import type { Consent } from '@medplum/fhirtypes';
import { ConsentUpgradeReplay, RECORD_URL } from './consent-review-replay';
import { byRpps, consent, maskDoc, purpose } from './fixture';

// Rule (src/access/README.md, "Refusing emergency access in advance" and "Consents without effect"): an emergency
// refusal (BTG, ETREAT) stored in a provision naming a professional or a document, or under one, refuses nothing since
// migration 220 — it had refused emergency access to everyone. Its patient is told once, by the notice of the choices
// without effect (French, her contacts, naming nobody), unless the same Consent also refuses that access naming nobody
// (then it still refuses, for everyone). A closed record is not told. The upgrade is replayed on a database where
// migration 219's list was drained before these refusals counted: Consents stored as an older server stored them, then
// the server restarted with migration 223 to apply. Fixture: p1 (e-mail patient@example.org), p2 and p3 (no contact),
// p4 closed.

const MIGRATION = '223_emergency_refusals_to_notify.sql';

const provision = (p: Record<string, unknown>) => p as NonNullable<Consent['provision']>;

const STORED: Consent[] = [
  // « Dr X authorised, but not in break-glass »: told.
  consent('p1-named-btg', 'p1', provision({ type: 'permit', actor: [byRpps('10000000401')], provision: [{ type: 'deny', purpose: purpose('BTG') }] })),
  // Refused under the mask of a document: told (no contact: kept as not sent).
  consent('p3-doc-samu', 'p3', provision({ type: 'deny', data: maskDoc('f1'), provision: [{ type: 'deny', purpose: purpose('ETREAT') }] })),
  // Refused naming nobody under the opening, and the same refused for Dr Z too: it still refuses, for everyone.
  consent('p2-both', 'p2', provision({ type: 'permit', provision: [{ type: 'deny', purpose: purpose('BTG') }, { type: 'permit', actor: [byRpps('10000000402')], provision: [{ type: 'deny', purpose: purpose('BTG') }] }] })),
  // A closed record is not told.
  consent('p4-named-samu', 'p4', provision({ type: 'deny', actor: [byRpps('10000000403')], purpose: purpose('ETREAT') })),
];


const replay = new ConsentUpgradeReplay('dmp-emergency-refusals-notice-', STORED);
const notices = () => replay.notices();

beforeAll(() => replay.run(async () => {
  // The upgrade: 219's list already drained (nothing was told of these), migration 223 not applied yet.
  expect(await notices()).toEqual([]);
  await replay.unapplyMigration(MIGRATION);
}), 180_000);
afterAll(() => replay.close());

test('each patient whose emergency refusal names someone is told once, in French, naming nobody', async () => {
  const rows = await notices();
  expect(rows.map((r) => [r.patient_id, r.channel, r.recipient])).toEqual([['p1', 'email', 'patient@example.org'], ['p3', 'none', null]]);
  const [told] = rows;
  expect(told.subject).toBe('Certains de vos choix d’accès à votre dossier médical sont sans effet');
  expect(told.body).toContain('le refus de l’accès en urgence visant un professionnel ou un document');
  expect(told.body).toContain('Un refus de l’accès en urgence vaut pour tous les professionnels ; pour tenir un professionnel à l’écart de votre dossier, même en urgence, bloquez-le.');
  expect(told.body.endsWith(`${RECORD_URL}/access`)).toBe(true);
  expect(told.body).not.toMatch(/\d{11}|DocumentReference|f1|Martin/);
});

test('a restart tells nobody twice', async () => {
  const rowsNow = async () => (await notices()).map(({ status, ...row }) => (void status, row));
  const before = await rowsNow();
  await replay.unapplyMigration(MIGRATION);
  await replay.restart();
  expect(await rowsNow()).toEqual(before);
});
