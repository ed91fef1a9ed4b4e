import type { Resource } from '@medplum/fhirtypes';
import request from 'supertest';
import { markSystemContext } from '../../../src/access/access-hooks';
import type { RequestContext } from '../../../src/fhir/context';
import { RequestState } from '../../../src/fhir/request-state';
import { sql, TRUE } from '../../../src/store/sql';
import { waitFor } from '../audit/server-harness';
import { createRecordsApp, type RecordsApp } from './harness';

// The majority hand-over runs by itself on the server's schedule, on the injected clock, at the Europe/Paris
// midnight of the 18th birthday: born 2008-12-07, Lou is a minor at 23:59 Paris time on 6 December 2026 (22:59 UTC)
// and an adult at 00:00 on the 7th (23:00 UTC on the 6th).

let a: RecordsApp;
const ROLE = 'http://terminology.hl7.org/CodeSystem/v3-RoleCode';

async function seed(resource: Resource): Promise<void> {
  const ctx: RequestContext = { requestId: 'seed', access: TRUE, state: new RequestState() };
  markSystemContext(ctx);
  await a.service.repo.update(ctx, resource);
}
const handedOver = async () => (await a.db.query<{ n: number }>(sql`SELECT count(*)::int AS n FROM majority_handover WHERE patient_id = 'lou'`)).rows[0].n;

beforeAll(async () => {
  a = await createRecordsApp({ start: new Date('2026-12-06T22:59:00Z'), env: { MAJORITY_HANDOVER_INTERVAL_MS: '100' } });
  await seed({ resourceType: 'Patient', id: 'lou', name: [{ family: 'PETIT', given: ['Lou'] }], gender: 'female', birthDate: '2008-12-07', telecom: [{ system: 'email', value: 'lou@example.org' }] });
  await seed({ resourceType: 'RelatedPerson', id: 'mum', patient: { reference: 'Patient/lou' }, relationship: [{ coding: [{ system: ROLE, code: 'MTH' }] }], telecom: [{ system: 'email', value: 'maman@example.org' }] } as Resource);
}, 120_000);
afterAll(() => a?.close());

test('the scheduled job hands the record over at the Paris midnight of the 18th birthday, once', async () => {
  a.startPurgeSchedule();
  const mum = await a.token({ kind: 'guardian', id: 'mum' });
  expect((await request(a.app).get('/fhir/Patient/lou').set('Authorization', `Bearer ${mum}`)).status).toBe(200);
  await new Promise((r) => setTimeout(r, 500)); // several runs at 23:59
  expect(await handedOver()).toBe(0);

  a.clock.now = new Date('2026-12-06T23:00:00Z');
  await waitFor(async () => (await handedOver()) === 1, 10_000, 'the hand-over');
  expect((await request(a.app).get('/fhir/Patient/lou').set('Authorization', `Bearer ${mum}`)).status).toBe(404);
  const { rows } = await a.db.query<{ kind: string; recipient: string }>(sql`SELECT kind, recipient FROM notify_outbox WHERE patient_id = 'lou' ORDER BY kind, recipient`);
  // Lou's e-mail was the record's while she was a minor (a parent may have entered it) and she has confirmed none since
  // midnight: no activation code is sent, her notice is kept for the counter procedure (auth/credential-contacts.ts).
  expect(rows).toEqual([
    { kind: 'guardian-access-ended', recipient: 'maman@example.org' },
    { kind: 'guardian-access-ended', recipient: null },
  ]);
  await new Promise((r) => setTimeout(r, 500)); // later runs change nothing
  expect(await handedOver()).toBe(1);
  expect((await a.db.query<{ n: number }>(sql`SELECT count(*)::int AS n FROM notify_outbox WHERE patient_id = 'lou'`)).rows[0].n).toBe(2);
  // The scheduled run left its trace in Lou's trail, once, chained with the server's secret.
  const lou = await a.token({ kind: 'patient', id: 'lou' });
  const trail = await request(a.app).get('/fhir/AuditEvent?patient=lou&_count=100').set('Authorization', `Bearer ${lou}`);
  const handovers = trail.body.entry.map((e: { resource: { subtype?: { code: string }[] } }) => e.resource).filter((e: { subtype?: { code: string }[] }) => e.subtype?.some((c) => c.code === 'majority-handover'));
  expect(handovers).toHaveLength(1);
  const verify = await request(a.app).get('/fhir/AuditEvent/$verify').set('Authorization', `Bearer ${lou}`);
  expect(verify.body.parameter.find((p: { name: string }) => p.name === 'intact').valueBoolean).toBe(true);
}, 60_000);
