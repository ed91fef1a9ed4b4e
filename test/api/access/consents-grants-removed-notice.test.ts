import type { Consent } from '@medplum/fhirtypes';
import { parseConsent } from '../../../src/access/consent-rules';
import type { Db } from '../../../src/store/db';
import { sql } from '../../../src/store/sql';
import { ConsentUpgradeReplay, RECORD_URL } from './consent-review-replay';
import { byRpps, consent, maskDoc } from './fixture';

// Rule (src/access/README.md, « Refused shapes grant nothing »): migration 172 removes the grants Consents of refused shapes
// kept from older versions, and tells each patient concerned, once, under a key of its own — also one told before by
// migration 225's notice that such an opening applied and that she had nothing to do. A patient whose Consents lost
// nothing is not told. The upgrade is replayed: Consents and the rows an older server derived from them, migration 172
// un-applied, the server restarted. Fixture: p1 (e-mail patient@example.org), p3 (no contact), p2 untouched.

const MIGRATION = '172_refused_consent_shapes_grant_nothing.sql';
const provision = (p: Record<string, unknown>) => p as NonNullable<Consent['provision']>;

const STORED: Consent[] = [
  // « d1 masked, except for Dr X »: authorised Dr X on the whole record.
  consent('p1-mask-except', 'p1', provision({ type: 'deny', data: maskDoc('d1'), provision: [{ type: 'permit', actor: [byRpps('10000000801')] }] })),
  // « Dr Y blocked { permit } »: opened a record never opened.
  consent('p3-nested-permit', 'p3', provision({ type: 'deny', actor: [byRpps('10000000802')], provision: [{ type: 'permit' }] })),
  // An ordinary authorisation: nothing removed, nobody told.
  consent('p2-plain', 'p2', provision({ type: 'permit', actor: [byRpps('10000000803')] })),
];

/** Replaces what this version derived with what the older code did (the checks of writes off). */
async function derivedAsBefore(db: Db): Promise<void> {
  for (const c of STORED) {
    await db.query(sql`DELETE FROM access_consent WHERE consent_id = ${c.id as string}`);
    const patientId = (c.patient?.reference ?? '').replace(/^Patient\//, '');
    for (const rule of parseConsent(c, { lenient: true }).rules) {
      await db.query(sql`INSERT INTO access_consent (consent_id, patient_id, kind, actor_key, doc_id)
        VALUES (${c.id as string}, ${patientId}, ${rule.kind}, ${'actorKey' in rule ? (rule.actorKey ?? null) : null}, ${rule.kind === 'mask' ? rule.docId : null})`);
    }
  }
}

const replay = new ConsentUpgradeReplay('dmp-grants-removed-notice-', STORED);

beforeAll(() => replay.run(async (db) => {
  await derivedAsBefore(db);
  // p3 was told by 225's notice (« elle s’applique ainsi ») before this version.
  await db.query(sql`INSERT INTO notify_outbox (idempotency_key, kind, patient_id, channel, recipient, subject, body, status, created_at, next_attempt_at)
    VALUES ('consents-without-effect:read-otherwise:p3:none', 'consents-without-effect', 'p3', 'none', NULL, 'earlier', 'earlier', 'sent', now(), now())`);
  await replay.unapplyMigration(MIGRATION);
}), 180_000);
afterAll(() => replay.close());

test('the grants are gone after the upgrade, what the Consents restrict stays', async () => {
  const { rows } = await replay.db.query<{ consent_id: string; kind: string }>(sql`SELECT DISTINCT consent_id, kind FROM access_consent
    WHERE consent_id IN ('p1-mask-except', 'p3-nested-permit', 'p2-plain') ORDER BY 1, 2`);
  expect(rows.map((r) => `${r.consent_id} ${r.kind}`)).toEqual(['p1-mask-except mask', 'p2-plain permit', 'p3-nested-permit deny']);
});

test('each patient a Consent of whom lost a grant is told once, under a key of its own, in French, naming nobody', async () => {
  const rows = (await replay.notices()).filter((r) => r.subject !== 'earlier');
  expect(rows.map((r) => [r.patient_id, r.channel, r.recipient, r.idempotency_key])).toEqual([
    ['p1', 'email', 'patient@example.org', 'consents-without-effect:grants-removed:p1:email'],
    ['p3', 'none', null, 'consents-without-effect:grants-removed:p3:none'],
  ]);
  const [told] = rows;
  expect(told.subject).toBe('Certains de vos choix d’accès à votre dossier médical sont sans effet');
  expect(told.body).toContain('Ceux qui ouvraient votre dossier ou autorisaient un professionnel sous une forme que le DMP refuse n’ont plus d’effet');
  expect(told.body.endsWith(`${RECORD_URL}/access`)).toBe(true);
  expect(told.body).not.toMatch(/\d{11}|Practitioner|d1/);
});

test('a restart tells nobody twice', async () => {
  const before = await replay.notices();
  await replay.unapplyMigration(MIGRATION);
  await replay.restart();
  expect((await replay.notices()).map((r) => r.idempotency_key)).toEqual(before.map((r) => r.idempotency_key));
});
