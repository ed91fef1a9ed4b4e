import type { Consent } from '@medplum/fhirtypes';
import { sql } from '../../../src/store/sql';
import { ConsentUpgradeReplay, RECORD_URL } from './consent-review-replay';
import { byRpps, consent } from './fixture';

// Rule (src/access/README.md, "Consents without effect"): Consents stored before writes refused these shapes (422) are
// still applied as derived then, not as written — a block whose period ends before it starts never holds, a bare permit
// nested under a block opened the record, a block « for research » holds for everything, an opening « for » a purpose of
// another code system opened the record. Their patient is told once (French, naming nobody), even when 219's notice was
// sent before these counted (a key of their own); a record listed only because it holds a period or a nested provision
// of an ordinary shape is not told, nor a closed record. The upgrade is replayed: Consents stored as an older server
// stored them, then the server restarted with migration 225 to apply. Fixture: p1 (e-mail patient@example.org), p2 and
// p3 (no contact), p4 closed; p2 holds an ordinary timed authorisation (c2-spec).

const MIGRATION = '225_consents_read_otherwise_to_notify.sql';

const provision = (p: Record<string, unknown>) => p as NonNullable<Consent['provision']>;

const STORED: Consent[] = [
  // « Dr X blocked from 2024 until 2020 »: never holds. Told.
  consent('p1-inverted-block', 'p1', provision({ type: 'deny', actor: [byRpps('10000000501')], period: { start: '2024-06-01', end: '2020-01-01' } })),
  // « Dr Y blocked { permit } »: the nested permit opened the record. Told (no contact: kept as not sent).
  consent('p3-nested-permit', 'p3', provision({ type: 'deny', actor: [byRpps('10000000502')], provision: [{ type: 'permit' }] })),
  // An ordinary authorisation with a period and an ordinary nested mask: listed by the migration's superset, not told.
  consent('p2-timed', 'p2', provision({ type: 'permit', actor: [byRpps('10000000503')], period: { start: '2020-01-01', end: '2030-01-01' } })),
  // A closed record is not told.
  consent('p4-snomed-opening', 'p4', provision({ type: 'permit', purpose: [{ system: 'http://snomed.info/sct', code: '386053000' }] })),
];


const replay = new ConsentUpgradeReplay('dmp-read-otherwise-notice-', STORED);
const notices = () => replay.notices();

beforeAll(() => replay.run(async (db) => {
  // p1 was told under 219 of other choices before these shapes counted: the notice's key is taken.
  await db.query(sql`INSERT INTO notify_outbox (idempotency_key, kind, patient_id, channel, recipient, subject, body, status, created_at, next_attempt_at)
    VALUES ('consents-without-effect:p1:email', 'consents-without-effect', 'p1', 'email', 'patient@example.org', 'earlier', 'earlier', 'sent', now(), now())`);
  // The upgrade: 219/223's list already drained, migration 225 not applied yet.
  await replay.unapplyMigration(MIGRATION);
  await db.query(sql`ALTER TABLE consent_review_pending DROP COLUMN IF EXISTS reason`);
}), 180_000);
afterAll(() => replay.close());

test('each patient holding a provision read otherwise than written is told once, in French, naming nobody', async () => {
  const rows = (await notices()).filter((r) => r.subject !== 'earlier');
  expect(rows.map((r) => [r.patient_id, r.channel, r.recipient, r.idempotency_key])).toEqual([
    ['p1', 'email', 'patient@example.org', 'consents-without-effect:read-otherwise:p1:email'],
    ['p3', 'none', null, 'consents-without-effect:read-otherwise:p3:none'],
  ]);
  const [told] = rows;
  expect(told.subject).toBe('Certains de vos choix d’accès à votre dossier médical sont sans effet');
  expect(told.body).toContain('s’appliquent autrement que vous ne l’aviez écrit');
  expect(told.body.endsWith(`${RECORD_URL}/access`)).toBe(true);
  expect(told.body).not.toMatch(/\d{11}|Practitioner|Martin/);
});

test('a restart tells nobody twice', async () => {
  const before = await notices();
  await replay.unapplyMigration(MIGRATION);
  await replay.restart();
  expect((await notices()).map((r) => r.idempotency_key)).toEqual(before.map((r) => r.idempotency_key));
});
