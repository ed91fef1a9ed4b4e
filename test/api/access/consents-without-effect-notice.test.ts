import type { Consent } from '@medplum/fhirtypes';
import { noticeConsentsWithoutEffect } from '../../../src/access/consents-without-effect-notice';
import { loadDevKey } from '../../../src/auth/dev-key';
import { loadAuthConfig } from '../../../src/auth/auth-config';
import { mintDevToken } from '../../../src/auth/mint-token';
import { sql } from '../../../src/store/sql';
import { ConsentUpgradeReplay, RECORD_URL } from './consent-review-replay';
import { byRpps, consent, IDNAT } from './fixture';

// Rule (src/access/README.md, "Consents without effect"): a patient whose access choices were stored before attack sweep
// 8 in a form the access rules do not apply — a professional or a document named so that no rule matches, an opening or
// an authorisation carrying a narrowing (its grant removed by migration 215) — is told once, by the notices every patient
// gets (her contacts, in French, no professional or document named), and invited to review them in her space. A narrowed
// block still blocks: no notice for it alone. A closed record is not told. Never twice: not on a restart, not when the
// task runs again. The upgrade is replayed: Consents stored as an older server stored them (no rule weighed), then the
// server restarted with migration 219 to apply. Fixture: p1 (e-mail patient@example.org), p2 and p3 (no contact), p4 closed.

const MIGRATION = '219_consents_without_effect_to_notify.sql';

const narrowing = { class: [{ system: 'http://hl7.org/fhir/resource-types', code: 'Observation' }] };

/** As an older server stored them: written as the server writes, no rule weighed. */
const STORED: Consent[] = [
  consent('p1-narrowed-permit', 'p1', { type: 'permit', actor: [byRpps('10000000301')], ...narrowing } as NonNullable<Consent['provision']>),
  consent('p1-capital-oid', 'p1', { type: 'deny', actor: [{ ...byRpps('10000000303'), reference: { identifier: { system: IDNAT.toUpperCase(), value: '810000000303' } } }] }),
  consent('p2-narrowed-block', 'p2', { type: 'deny', actor: [byRpps('10000000302')], ...narrowing } as NonNullable<Consent['provision']>),
  consent('p3-narrowed-opening', 'p3', { type: 'permit', period: { start: '2000-01-01', end: '2001-01-01' } } as NonNullable<Consent['provision']>),
  consent('p4-spaced-mask', 'p4', { type: 'deny', data: [{ meaning: 'instance', reference: { reference: 'DocumentReference/g1 ' } }] }),
];


const replay = new ConsentUpgradeReplay('dmp-consents-without-effect-', STORED);
const notices = () => replay.notices();

beforeAll(() => replay.run(async (db) => {
  // The upgrade: the database as the older version left it, migration 219 not applied yet,
  await replay.unapplyMigration(MIGRATION);
  // nor the later migrations that extend the list (225 adds its `reason` column).
  await replay.unapplyMigration('225_consents_read_otherwise_to_notify.sql');
  await db.query('DROP TABLE consent_review_pending');
}), 180_000);
afterAll(() => replay.close());

test('each patient with a choice without effect is told once, in French, with the link to her access choices', async () => {
  const rows = await notices();
  // p1: two Consents without effect, one notice; p3: no contact, kept as not sent; p2's narrowed block still blocks; p4 is closed.
  expect(rows.map((r) => [r.patient_id, r.channel, r.recipient])).toEqual([['p1', 'email', 'patient@example.org'], ['p3', 'none', null]]);
  expect(rows[1].status).toBe('no-recipient');
  const [told] = rows;
  expect(told.subject).toBe('Certains de vos choix d’accès à votre dossier médical sont sans effet');
  expect(told.body).toContain('ont été enregistrés sous une forme que le DMP ne sait pas appliquer : ils sont sans effet');
  expect(told.body.endsWith(`${RECORD_URL}/access`)).toBe(true);
  // No professional, no document, no identity in an e-mail.
  expect(told.body).not.toMatch(/\d{11}|DocumentReference|Observation|g1|Martin/);
});

test('the patient reads the notice among her notices (GET /Communication)', async () => {
  const auth = loadAuthConfig({ DEV_AUTH: '1' }, replay.dataDir);
  const token = await mintDevToken(auth, await loadDevKey(auth), { kind: 'patient', id: 'p1' });
  const res = await fetch(`${replay.server.fhirUrl}/Communication?patient=p1`, { headers: { Authorization: `Bearer ${token}` } });
  expect(res.status).toBe(200);
  const bundle = (await res.json()) as { entry?: { resource: { category?: { coding?: { code?: string }[] }[]; payload?: { contentString?: string }[] } }[] };
  const ours = (bundle.entry ?? []).filter((e) => e.resource.category?.[0]?.coding?.[0]?.code === 'consents-without-effect');
  expect(ours).toHaveLength(1);
  expect(ours[0].resource.payload?.[0]?.contentString).toContain(`${RECORD_URL}/access`);
});

test('a restart, or the task run again, tells nobody twice', async () => {
  // Delivery moves a row's status on (no SMTP here): what counts is which rows exist.
  const rowsNow = async () => (await notices()).map(({ status, ...row }) => (void status, row));
  const before = await rowsNow();
  await replay.restart();
  const again = await noticeConsentsWithoutEffect(replay.server.db, { recordUrl: RECORD_URL, now: () => new Date() });
  expect(again).toEqual({ looked: 0, told: [] });
  // Even a record listed again (a second server's migration, were it to run) is not told a second time on its channel.
  await replay.db.query(sql`INSERT INTO consent_review_pending (patient_id) VALUES ('p1')`);
  await noticeConsentsWithoutEffect(replay.server.db, { recordUrl: RECORD_URL, now: () => new Date() });
  expect(await rowsNow()).toEqual(before);
});
