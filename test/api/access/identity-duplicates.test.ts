import type { AuditEvent } from '@medplum/fhirtypes';
import { closeDuplicateRecord, listIdentityDuplicates } from '../../../src/access/identity-duplicates';
import { formatDuplicates, parseDuplicatesArgs } from '../../../src/cli/identity-duplicates';
import { migrate } from '../../../src/store/migrate';
import { type AuditServer, startAuditServer } from '../audit/server-harness';
import { INS_NIR } from './fixture';
import { withInsKey } from './ins-values';

// Issue 12: migration 150 meets records that already share an INS (created before the constraint). It must not fail:
// it keeps the oldest record in the index and lists the others; the operator closes them with identity:duplicates.

let s: AuditServer;
const X = withInsKey('1850275123456');
const Y = withInsKey('1850275123457');
const patient = (id: string, ins: string) => ({ resourceType: 'Patient' as const, id, identifier: [{ system: INS_NIR, value: ins }], name: [{ family: 'Lefebvre', given: ['Paul'] }], gender: 'male' as const, birthDate: '1985-02-01' });

beforeAll(async () => {
  s = await startAuditServer();
  const db = s.testDb.db;
  await s.server.service.repo.update(s.systemContext(), patient('old', X));
  await s.server.service.repo.update(s.systemContext(), patient('newer', Y));
  await s.server.service.repo.update(s.systemContext(), patient('newest', withInsKey('1850275123458')));
  // The state before migration 150: "newer" and "newest" were given the INS of "old" (as plain updates allowed).
  for (const id of ['newer', 'newest']) {
    await db.query(`UPDATE resource SET text = regexp_replace(text, '"value":"[0-9]{15}"', '"value":"${X}"'), content = regexp_replace(content::text, '"value": "[0-9]{15}"', '"value": "${X}"')::jsonb WHERE type = 'Patient' AND id = $1`, [id]);
    await db.query(`UPDATE access_record SET ins = ARRAY['${INS_NIR}|${X}', '${X}'] WHERE patient_id = $1`, [id]);
  }
  await db.query('DROP TABLE record_ins, identity_duplicate');
  await db.query(`DELETE FROM schema_migration WHERE name LIKE '150\\_%'`);
  await migrate(db);
}, 120_000);
afterAll(() => s.close());

test('migration 150 does not fail on existing duplicates: the oldest record holds the INS, the others are listed', async () => {
  const { rows } = await s.testDb.db.query<{ patient_id: string }>('SELECT patient_id FROM record_ins WHERE ins = $1', [X]);
  expect(rows).toEqual([{ patient_id: 'old' }]);
  const listed = await listIdentityDuplicates(s.testDb.db);
  expect(listed.map((d) => [d.patientId, d.ins, d.keptPatientId])).toEqual([['newer', X, 'old'], ['newest', X, 'old']]);
  expect(formatDuplicates(listed)).toContain(`INS ${X}: Patient/newer duplicates Patient/old`);
});

test('a listed duplicate can still be written (it claims nothing), and a new record of that INS is still refused', async () => {
  const newer = JSON.parse((await s.testDb.db.query<{ text: string }>(`SELECT text FROM resource WHERE type = 'Patient' AND id = 'newer'`)).rows[0].text);
  await s.server.service.repo.update(s.systemContext(), { ...newer, telecom: [{ system: 'email', value: 'paul@example.org' }] });
  await expect(s.server.service.repo.update(s.systemContext(), patient('another', X))).rejects.toMatchObject({ status: 409 });
});

test('the operator closes a duplicate: the record is closed, the duplicate resolved, the act audited with his reason', async () => {
  const done = await closeDuplicateRecord(s.server.service, { patientId: 'newest', reason: 'doublon créé en pharmacie', operator: 'alice' });
  expect(done.promoted).toEqual([]);
  const closed = JSON.parse((await s.testDb.db.query<{ text: string }>(`SELECT text FROM resource WHERE type = 'Patient' AND id = 'newest'`)).rows[0].text);
  expect(closed.active).toBe(false);
  expect((await listIdentityDuplicates(s.testDb.db)).map((d) => d.patientId)).toEqual(['newer']);
  const events = await s.testDb.db.query<{ text: string }>(`SELECT text FROM resource WHERE type = 'AuditEvent' AND compartment = 'newest'`);
  const rendered = events.rows.map((r) => r.text).join('\n');
  expect(rendered).toContain('operator:alice');
  expect(rendered).toContain('doublon créé en pharmacie');
  const patientToken = await s.token({ kind: 'patient', id: 'newest' });
  const trail = await s.fhir(patientToken, 'GET', '/AuditEvent?patient=newest');
  expect((trail.body.entry as { resource: AuditEvent }[]).some((e) => e.resource.action === 'U')).toBe(true);
});

test('closing the record that holds the INS hands it over to the oldest remaining duplicate', async () => {
  const done = await closeDuplicateRecord(s.server.service, { patientId: 'old', reason: 'dossier ouvert par erreur', operator: 'alice' });
  expect(done.promoted).toEqual([`${X} → Patient/newer`]);
  const { rows } = await s.testDb.db.query<{ patient_id: string }>('SELECT patient_id FROM record_ins WHERE ins = $1', [X]);
  expect(rows).toEqual([{ patient_id: 'newer' }]);
  expect(await listIdentityDuplicates(s.testDb.db)).toEqual([]);
});

test('a record that shares no INS is not the operator\'s to close', async () => {
  await expect(closeDuplicateRecord(s.server.service, { patientId: 'newer', reason: 'x', operator: 'alice' })).rejects.toThrow(/shares no INS/);
});

test('the CLI asks for a reason when closing', () => {
  expect(parseDuplicatesArgs([])).toEqual({ all: false });
  expect(parseDuplicatesArgs(['--close', 'p9', '--reason', 'doublon'])).toEqual({ all: false, close: 'p9', reason: 'doublon' });
  expect(() => parseDuplicatesArgs(['--close', 'p9'])).toThrow(/reason/);
});
