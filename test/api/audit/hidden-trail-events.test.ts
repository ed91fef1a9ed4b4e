import type { AuditEvent, Bundle, Parameters } from '@medplum/fhirtypes';
import { CHAIN_EXTENSION_URL } from '../../../src/audit/audit-codes';
import { loadFixture, RPPS } from '../access/fixture';
import { type AuditServer, startAuditServer } from './server-harness';

// Issue 11 "hidden means absent everywhere: the trail as shown to the hidden party", found by the attack sweep: a
// record's trail is one hash chain, and the events that name a document hidden from the patient (d4, flagged
// INVISIBLE_PATIENT) are left out of what he reads — but each served event carried its chain link (sequence number,
// previous hash), so the gaps told him that hidden accesses happened and how many, and `$verify` counted them.

let s: AuditServer;
const tokens: Record<string, string> = {};

beforeAll(async () => {
  s = await startAuditServer();
  await loadFixture(s.server.service);
  tokens.patient = await s.token({ kind: 'patient', id: 'p1' });
  tokens.gp = await s.token({ kind: 'practitioner', id: RPPS.gp });
}, 120_000);
afterAll(() => s?.close());

async function trail(): Promise<AuditEvent[]> {
  const res = await s.fhir(tokens.patient, 'GET', '/AuditEvent?patient=p1&_count=500');
  expect(res.status).toBe(200);
  return ((res.body as Bundle).entry ?? []).map((e) => e.resource as AuditEvent);
}

const chainLength = async (): Promise<number> =>
  Number((await s.testDb.db.query<{ n: string }>(`SELECT count(*) AS n FROM audit_chain WHERE chain = 'p1'`)).rows[0].n);

test('the treating physician\'s reads of a document hidden from the patient leave no trace in what the patient reads', async () => {
  expect((await s.fhir(tokens.patient, 'GET', '/DocumentReference/d4')).status).toBe(404);
  expect((await s.fhir(tokens.gp, 'GET', '/DocumentReference/d4')).status).toBe(200);
  expect((await s.fhir(tokens.gp, 'GET', '/Observation/d4-obs')).status).toBe(200);
  expect((await s.fhir(tokens.gp, 'GET', '/DocumentReference/d1')).status).toBe(200);
  const events = await trail();
  // His own trail: the visible read of d1 is there, nothing names d4, and no event carries its place in the chain.
  expect(events.some((e) => JSON.stringify(e.entity).includes('DocumentReference/d1'))).toBe(true);
  const named = events.flatMap((e) => (e.entity ?? []).map((x) => x.what?.reference ?? ''));
  expect(named.filter((r) => /^(DocumentReference\/d4|Observation\/d4-obs|Binary\/d4-bin)\b/.test(r))).toEqual([]);
  expect(events.filter((e) => e.extension?.some((x) => x.url === CHAIN_EXTENSION_URL))).toEqual([]);
  expect(JSON.stringify(events)).not.toMatch(/previousHash|"sequence"/);
  // One event, read alone, is served the same way.
  const one = await s.fhir(tokens.patient, 'GET', `/AuditEvent/${events[0].id}`);
  expect(one.status).toBe(200);
  expect(JSON.stringify(one.body)).not.toContain(CHAIN_EXTENSION_URL);
});

test('$verify checks the whole chain but counts only the events the patient reads', async () => {
  const readable = (await s.fhir(tokens.patient, 'GET', '/AuditEvent?patient=p1&_summary=count')).body.total as number;
  const verify = await s.fhir(tokens.patient, 'GET', '/AuditEvent/$verify');
  expect(verify.status).toBe(200);
  const param = (name: string) => (verify.body as Parameters).parameter?.find((p) => p.name === name);
  expect(param('intact')?.valueBoolean).toBe(true);
  const total = await chainLength();
  // The chain holds at least the two hidden reads more than he may read; the count he is told is his own trail's.
  expect(total).toBeGreaterThanOrEqual(readable + 2);
  expect(param('events')?.valueInteger).toBeGreaterThanOrEqual(readable);
  expect(param('events')?.valueInteger).toBeLessThanOrEqual(readable + 1); // the count search itself, filed after its answer
});
