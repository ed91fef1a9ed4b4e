import type { Patient, Resource } from '@medplum/fhirtypes';
import request from 'supertest';
import { markSystemContext } from '../../../src/access/access-hooks';
import { main as purgeCli } from '../../../src/cli/purge-records';
import type { RequestContext } from '../../../src/fhir/context';
import { RequestState } from '../../../src/fhir/request-state';
import { purgeRecords, type PurgeReport } from '../../../src/records/purge-job';
import { SystemRepository } from '../../../src/system/system-repository';
import { shiftDate } from '../../../src/records/record-closure';
import { deleteRecordRows } from '../../../src/store/record-purge';
import { sql, TRUE } from '../../../src/store/sql';
import { consent, INS_NIR } from '../access/fixture';
import { withInsKey } from '../access/ins-values';
import { createRecordsApp, type RecordsApp } from './harness';

// Issue 12: the attempts at opening a child's record (migration 176) only serve the caps of Patient/$open-minor-record,
// whose longest window is 365 days. The purge job (and `npm run records:purge`) removes the older ones, and purging a
// record removes the attempts its holder made as a parent and the one that opened it. Injected clock throughout.

let a: RecordsApp;
const START = new Date('2026-12-01T10:00:00Z');
const DAY = 86_400_000;
const RECORD_URL = 'https://www.monespacesante.fr';
const tokens: Record<string, string> = {};
const at = (days: number) => new Date(START.getTime() + days * DAY);
const child = (n: number): Patient => ({
  resourceType: 'Patient', identifier: [{ system: INS_NIR, value: withInsKey(`2160375124${String(n).padStart(3, '0')}`) }],
  name: [{ use: 'official', family: 'PETIT', given: [`Enfant${n}`] }], gender: 'female', birthDate: '2016-03-10',
});
const parent = (id: string, insBody: string): Resource[] => [
  { resourceType: 'Patient', id, identifier: [{ system: INS_NIR, value: withInsKey(insBody) }], name: [{ use: 'official', family: 'PARENT', given: [id] }], gender: 'male', birthDate: '1980-01-15', telecom: [{ system: 'email', value: `${id}@example.org` }] },
  consent(`${id}-open`, id, { type: 'permit' }),
];
const open = (who: string, patient: Patient) =>
  request(a.app).post('/fhir/Patient/$open-minor-record').set('Authorization', `Bearer ${tokens[who]}`).set('Content-Type', 'application/fhir+json')
    .send({ resourceType: 'Parameters', parameter: [{ name: 'patient', resource: patient }, { name: 'relationship', valueCode: 'PRN' }] });
const attempts = async (): Promise<{ parent_id: string; child_id: string | null }[]> =>
  (await a.db.query<{ parent_id: string; child_id: string | null }>(sql`SELECT parent_id, child_id FROM minor_opening_attempt ORDER BY attempted_at, id`)).rows;

beforeAll(async () => {
  a = await createRecordsApp({ start: START });
  const ctx: RequestContext = { requestId: 'seed', access: TRUE, state: new RequestState() };
  markSystemContext(ctx);
  for (const r of [...parent('dad', '1800175123461'), ...parent('mum', '1800175123462')]) await a.service.repo.update(ctx, r);
  for (const who of ['dad', 'mum']) tokens[who] = await a.token({ kind: 'patient', id: who });
  // dad opens a record on day 0 and another on day 200; mum opens one on day 0.
  expect((await open('dad', child(1))).status).toBe(201);
  expect((await open('mum', child(2))).status).toBe(201);
  a.clock.now = at(200);
  expect((await open('dad', child(3))).status).toBe(201);
}, 120_000);
afterAll(() => a?.close());

test('attempts within the caps\' year are kept by the purge', async () => {
  const report = await purgeRecords(new SystemRepository(a.db), { now: at(364), recordUrl: RECORD_URL });
  expect(report.openingAttempts).toBe(0);
  expect((await attempts()).map((r) => r.parent_id)).toEqual(['dad', 'mum', 'dad']);
});

test('a dry run of the CLI counts the attempts over a year old and removes none', async () => {
  let out = '';
  expect(await purgeCli(['--dry-run', '--now', at(366).toISOString(), '--json'], a.env, (t) => void (out += t), a.db)).toBe(0);
  expect((JSON.parse(out) as PurgeReport).openingAttempts).toBe(2);
  out = '';
  expect(await purgeCli(['--dry-run', '--now', at(366).toISOString()], a.env, (t) => void (out += t), a.db)).toBe(0);
  expect(out).toContain("attempts at opening a child's record over a year old to remove: 2");
  expect(await attempts()).toHaveLength(3);
});

test('the purge removes the attempts over a year old and keeps the one that still counts for the cap', async () => {
  let out = '';
  expect(await purgeCli(['--now', at(366).toISOString()], a.env, (t) => void (out += t), a.db)).toBe(0);
  expect(out).toContain("attempts at opening a child's record over a year old removed: 2");
  expect((await attempts()).map((r) => r.parent_id)).toEqual(['dad']);
  const again = await purgeRecords(new SystemRepository(a.db), { now: at(366), recordUrl: RECORD_URL });
  expect(again.openingAttempts).toBe(0);
});

test('purging a record removes the attempts its holder made as a parent and the one that opened it', async () => {
  a.clock.now = at(400);
  const opened = await open('mum', child(4));
  expect(opened.status).toBe(201);
  const childId = (opened.body.parameter[0].valueReference.reference as string).replace('Patient/', '');
  const guardian = await a.token({ kind: 'guardian', id: (opened.body.parameter[1].valueReference.reference as string).replace('RelatedPerson/', '') });
  const close = (token: string, id: string) => request(a.app).post(`/fhir/Patient/${id}/$close`).set('Authorization', `Bearer ${token}`).set('Content-Type', 'application/fhir+json')
    .send({ resourceType: 'Parameters', parameter: [{ name: 'reason', valueCode: 'patient-request' }] });
  expect((await close(guardian, childId)).status).toBe(200);
  expect((await close(tokens.dad, 'dad')).status).toBe(200);
  expect((await attempts()).map((r) => [r.parent_id, r.child_id])).toEqual([['dad', expect.any(String)], ['mum', childId]]);
  // What each record's own purge removes (rolled back: the job below removes the same rows, oldest first by age).
  const removed: Record<string, number> = {};
  await a.db.transaction(async (tx) => {
    for (const id of ['dad', childId, 'mum']) removed[id] = (await deleteRecordRows(tx, id)).minor_opening_attempt;
    throw new Error('rollback');
  }).catch((err: Error) => expect(err.message).toBe('rollback'));
  expect(removed).toEqual({ dad: 1, [childId]: 1, mum: 0 });
  // Ten years on the job purges both closed records, and no attempt is left.
  const report = await purgeRecords(new SystemRepository(a.db), { now: shiftDate(at(401), 10), recordUrl: RECORD_URL });
  expect(report.records.map((r) => r.patientId).sort()).toEqual(['dad', childId].sort());
  expect(report.openingAttempts).toBe(2);
  expect(await attempts()).toEqual([]);
});
