import type { Parameters } from '@medplum/fhirtypes';
import { loadFixture } from '../access/fixture';
import { type AuditServer, startAuditServer } from './server-harness';

// Issue 14 (the audited read's database cost): every audited read writes one AuditEvent, and each b-tree entry of its
// rows is paid on every read. The rule (src/audit/README.md, "Cost per audited read"): an event's rows are in the
// indexes something reads them through, and in no other. `audit_chain (event_id)` was read only by `$verify`'s check for
// events outside their chain (migration 211 dropped it; that check compares the two sets instead), and
// `resource_type_updated` held every event although a trail is read within its records, through `resource_compartment`
// (migration 212 leaves AuditEvents out of it).

let s: AuditServer;
let patient: string;

beforeAll(async () => {
  s = await startAuditServer();
  await loadFixture(s.server.service);
  patient = await s.token({ kind: 'patient', id: 'p1' });
}, 120_000);
afterAll(() => s?.close());

/** For each index of `table`: how many of the rows chosen by `where` it holds (its predicate, if partial, applied). */
async function entriesPerIndex(table: string, where: string): Promise<Record<string, number>> {
  const db = s.testDb.db;
  const indexes = await db.query<{ name: string; pred: string | null }>(
    `SELECT i.indexrelid::regclass::text AS name, pg_get_expr(i.indpred, i.indrelid) AS pred FROM pg_index i WHERE i.indrelid = '${table}'::regclass`,
  );
  const out: Record<string, number> = {};
  for (const index of indexes.rows) {
    const { rows } = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table} WHERE (${where}) AND (${index.pred ?? 'TRUE'})`);
    if (rows[0].n > 0) out[index.name] = rows[0].n;
  }
  return out;
}

const eventsWhere = async (where: string): Promise<number> =>
  Number((await s.testDb.db.query<{ n: string }>(`SELECT count(*) AS n FROM resource WHERE type = 'AuditEvent' AND ${where}`)).rows[0].n);

const param = (body: Parameters, name: string) => body.parameter?.find((p) => p.name === name);
const brokenPart = (body: Parameters, name: string) => param(body, 'firstBrokenLink')?.part?.find((p) => p.name === name);

test('an audited read files its event with no index entry that nothing reads: the chain row is in its chain key only', async () => {
  expect((await s.fhir(patient, 'GET', '/Patient/p1')).status).toBe(200);
  expect((await s.fhir(patient, 'GET', '/DocumentReference?patient=p1')).status).toBe(200);
  const events = Number((await s.testDb.db.query<{ n: string }>(`SELECT count(*) AS n FROM audit_chain WHERE chain = 'p1'`)).rows[0].n);
  expect(events).toBeGreaterThanOrEqual(2);
  // The chain row: its key (chain, seq), which the walk of $verify and the writer's order need; no look-up by event id.
  expect(await entriesPerIndex('audit_chain', `chain = 'p1'`)).toEqual({ audit_chain_pkey: events });
});

test('an event of a record is in the row keys and its record\'s compartment index only; an event without a patient in the row keys only', async () => {
  expect((await s.fhir(patient, 'GET', '/Patient/p1')).status).toBe(200);
  // A refusal naming no patient is filed in the chain without one (src/audit/README.md, onDenied).
  expect((await s.fhir('not-a-token', 'GET', '/Practitioner')).status).toBe(401);
  const ofRecord = await eventsWhere(`compartment = 'p1'`);
  const withoutPatient = await eventsWhere('compartment IS NULL');
  expect(ofRecord).toBeGreaterThanOrEqual(1);
  expect(withoutPatient).toBeGreaterThanOrEqual(1);
  // Read by id (`(type, id)`), within a record (`resource_compartment`); no index ordered by time across all events.
  expect(await entriesPerIndex('resource', `type = 'AuditEvent' AND compartment = 'p1'`)).toEqual({
    resource_pkey: ofRecord, resource_type_id_key: ofRecord, resource_compartment: ofRecord,
  });
  expect(await entriesPerIndex('resource', `type = 'AuditEvent' AND compartment IS NULL`)).toEqual({
    resource_pkey: withoutPatient, resource_type_id_key: withoutPatient,
  });
  // Other types keep their entry in `resource_type_updated` (type history, `_lastUpdated` and `_sort` searches).
  expect(await entriesPerIndex('resource', `type = 'DocumentReference' AND id = 'd1'`)).toMatchObject({ resource_type_updated: 1 });
});

test('$verify names an event stored outside its record\'s chain, then a chain row whose event is gone', async () => {
  const db = s.testDb.db;
  expect(param((await s.fhir(patient, 'GET', '/AuditEvent/$verify')).body, 'intact')?.valueBoolean).toBe(true);
  // A copy of one of his events under another id: readable by him, but no chain row names it.
  await db.query(`INSERT INTO resource (type, id, version_id, last_updated, compartment, text)
    SELECT type, 'forged-event', 1, last_updated, compartment, text FROM resource WHERE type = 'AuditEvent' AND compartment = 'p1' ORDER BY last_updated LIMIT 1`);
  const forged = await s.fhir(patient, 'GET', '/AuditEvent/$verify');
  expect(forged.status).toBe(200);
  expect(param(forged.body, 'intact')?.valueBoolean).toBe(false);
  expect(brokenPart(forged.body, 'reason')?.valueCode).toBe('unchained-event');
  expect(brokenPart(forged.body, 'event')?.valueReference?.reference).toBe('AuditEvent/forged-event');

  // Removed again: intact.
  await db.query('ALTER TABLE resource DISABLE TRIGGER resource_audit_append_only');
  await db.query(`DELETE FROM resource WHERE type = 'AuditEvent' AND id = 'forged-event'`);
  await db.query('ALTER TABLE resource ENABLE TRIGGER resource_audit_append_only');
  expect(param((await s.fhir(patient, 'GET', '/AuditEvent/$verify')).body, 'intact')?.valueBoolean).toBe(true);

  // A chain row whose event row was removed.
  const { rows } = await db.query<{ event_id: string }>(`SELECT event_id FROM audit_chain WHERE chain = 'p1' ORDER BY seq LIMIT 1`);
  await db.query('ALTER TABLE resource DISABLE TRIGGER resource_audit_append_only');
  await db.query(`DELETE FROM resource WHERE type = 'AuditEvent' AND id = $1`, [rows[0].event_id]);
  await db.query('ALTER TABLE resource ENABLE TRIGGER resource_audit_append_only');
  const missing = await s.fhir(patient, 'GET', '/AuditEvent/$verify');
  expect(param(missing.body, 'intact')?.valueBoolean).toBe(false);
  expect(brokenPart(missing.body, 'reason')?.valueCode).toBe('missing-event');
  // The event is gone, so he does not read it: the reason alone is told (verify-operation.ts).
  expect(brokenPart(missing.body, 'sequence')).toBeUndefined();
});
