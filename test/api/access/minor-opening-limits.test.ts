import type { Patient, Resource } from '@medplum/fhirtypes';
import request from 'supertest';
import { markSystemContext } from '../../../src/access/access-hooks';
import { MINOR_OPENING_ATTEMPTS_PER_HOUR, MINOR_OPENINGS_PER_YEAR } from '../../../src/access/minor-opening-limits';
import type { RequestContext } from '../../../src/fhir/context';
import { RequestState } from '../../../src/fhir/request-state';
import { sql, TRUE } from '../../../src/store/sql';
import { createRecordsApp, type RecordsApp } from '../records/harness';
import { consent, INS_NIR } from './fixture';
import { withInsKey } from './ins-values';

// Issue 12 loose end: someone who knows children's INS could open many records through Patient/$open-minor-record
// (the server cannot check parenthood), and each 409 tells him a child has a record. Per parent: at most 5 attempts
// that reach the INS claim per rolling hour, at most 6 records opened per rolling 365 days; beyond, 429 with
// Retry-After and a French message, filed in the parent's trail. Parallel requests cannot pass the caps. Production
// audit and access wirings on an injected clock.

let a: RecordsApp;
const START = new Date('2026-12-01T10:00:00Z');
const HOUR = 3_600_000;
const DAY = 86_400_000;
const tokens: Record<string, string> = {};
/** A girl born in March 2016 (minor throughout), INS made from `n`. */
const child = (n: number): Patient => ({
  resourceType: 'Patient', identifier: [{ system: INS_NIR, value: withInsKey(`2160375123${String(n).padStart(3, '0')}`) }],
  name: [{ use: 'official', family: 'PETIT', given: [`Enfant${n}`] }], gender: 'female', birthDate: '2016-03-10',
});
const open = (who: string, patient: Patient) =>
  request(a.app).post('/fhir/Patient/$open-minor-record').set('Authorization', `Bearer ${tokens[who]}`).set('Content-Type', 'application/fhir+json')
    .send({ resourceType: 'Parameters', parameter: [{ name: 'patient', resource: patient }, { name: 'relationship', valueCode: 'PRN' }] });
const patientCount = async () => (await a.db.query<{ n: number }>(sql`SELECT count(*)::int AS n FROM resource WHERE type = 'Patient' AND NOT deleted`)).rows[0].n;
const parent = (id: string, insBody: string): Resource[] => [
  { resourceType: 'Patient', id, identifier: [{ system: INS_NIR, value: withInsKey(insBody) }], name: [{ use: 'official', family: 'PARENT', given: [id] }], gender: 'male', birthDate: '1980-01-15', telecom: [{ system: 'email', value: `${id}@example.org` }] },
  consent(`${id}-open`, id, { type: 'permit' }),
];

beforeAll(async () => {
  a = await createRecordsApp({ start: START });
  const ctx: RequestContext = { requestId: 'seed', access: TRUE, state: new RequestState() };
  markSystemContext(ctx);
  const fixtures = [...parent('dad', '1800175123457'), ...parent('mum', '1800175123458'), ...parent('eve', '1800175123459')];
  for (const r of fixtures) await a.service.repo.update(ctx, r);
  for (const who of ['dad', 'mum', 'eve']) tokens[who] = await a.token({ kind: 'patient', id: who });
}, 120_000);
afterAll(() => a?.close());

test('the caps are the documented ones', () => {
  expect([MINOR_OPENING_ATTEMPTS_PER_HOUR, MINOR_OPENINGS_PER_YEAR]).toEqual([5, 6]);
});

test('a sixth attempt within the hour answers 429 with Retry-After and a French message, and writes nothing', async () => {
  // 10:00 UTC is 11:00 in Paris: the first attempt leaves the hour at 12:00, Paris time.
  for (let i = 1; i <= 5; i++) expect((await open('dad', child(i))).status).toBe(201);
  a.clock.now = new Date(START.getTime() + 10 * 60_000);
  const before = await patientCount();
  const res = await open('dad', child(6));
  expect(res.status).toBe(429);
  expect(res.body.resourceType).toBe('OperationOutcome');
  expect(res.body.issue[0].code).toBe('throttled');
  expect(res.body.issue[0].diagnostics).toMatch(/^Trop de tentatives d’ouverture du dossier d’un enfant en une heure \(5 au plus\) : réessayez à partir du 1 décembre 2026 à 12:00/);
  expect(Number(res.headers['retry-after'])).toBe(50 * 60);
  expect(await patientCount()).toBe(before);
  // A request that proves nothing is answered as before (422) and is not counted.
  const inconsistent = await open('dad', { ...child(7), birthDate: '2016-05-10' });
  expect(inconsistent.status).toBe(422);
});

test('the refusal is in the parent\'s own trail', async () => {
  const trail = await request(a.app).get('/fhir/AuditEvent?patient=dad&_count=200').set('Authorization', `Bearer ${tokens.dad}`);
  expect(trail.status).toBe(200);
  const refused = trail.body.entry.map((e: { resource: { outcome: string; outcomeDesc?: string } }) => e.resource).filter((e: { outcomeDesc?: string }) => /HTTP 429/.test(e.outcomeDesc ?? ''));
  expect(refused).toHaveLength(1);
  expect(refused[0].outcome).toBe('4');
});

test('after the hour the parent opens a sixth record; a seventh within 365 days answers 429 naming the yearly cap', async () => {
  a.clock.now = new Date(START.getTime() + HOUR + 60_000);
  expect((await open('dad', child(6))).status).toBe(201);
  a.clock.now = new Date(START.getTime() + 30 * DAY);
  const res = await open('dad', child(8));
  expect(res.status).toBe(429);
  expect(res.body.issue[0].diagnostics).toMatch(/^Vous avez déjà ouvert 6 dossiers médicaux partagés d’enfants mineurs au cours des 12 derniers mois : vous pourrez en ouvrir un autre ici à partir du 1 décembre 2027/);
  expect(res.body.issue[0].diagnostics).toMatch(/Assurance Maladie peut ouvrir le dossier de votre enfant/);
  expect(Number(res.headers['retry-after'])).toBe((365 - 30) * DAY / 1000);
  // 365 days after the first opening, one more is possible.
  a.clock.now = new Date(START.getTime() + 365 * DAY + 60_000);
  expect((await open('dad', child(8))).status).toBe(201);
});

test('409 answers on existing records count: someone probing INS gets 5 answers an hour', async () => {
  a.clock.now = new Date(START.getTime() + 2 * DAY);
  // Children 1–5 have records (opened by dad): each probe answers the neutral 409, then 429.
  for (let i = 1; i <= 5; i++) expect((await open('mum', child(i))).status).toBe(409);
  const res = await open('mum', child(2));
  expect(res.status).toBe(429);
  expect(res.headers['retry-after']).toBeDefined();
});

test('parallel attempts cannot pass the hourly cap', async () => {
  a.clock.now = new Date(START.getTime() + 3 * DAY);
  const before = await patientCount();
  const answers = await Promise.all(Array.from({ length: 10 }, (_, i) => open('eve', child(100 + i))));
  const statuses = answers.map((r) => r.status).sort();
  expect(statuses.filter((s) => s === 201)).toHaveLength(5);
  expect(statuses.filter((s) => s === 429)).toHaveLength(5);
  expect(statuses.every((s) => s === 201 || s === 429)).toBe(true);
  expect(await patientCount()).toBe(before + 5);
}, 60_000);
