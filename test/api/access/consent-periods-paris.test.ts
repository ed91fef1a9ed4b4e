import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Consent } from '@medplum/fhirtypes';
import request from 'supertest';
import { sql } from '../../../src/store/sql';
import { byRpps, consent, loadFixture, RPPS, systemContext } from './fixture';
import { createAccessApp, type AccessApp } from './harness';

// Rule (src/access/README.md, "The Consent coding"): a Consent period bound written as a date names that day in
// Europe/Paris. A block "until 7 December" written by a patient in France holds until midnight in France: at 23:30
// Paris time on the 7th it still blocks, at 00:30 on the 8th it has lifted — 22:30 and 23:30 UTC in winter, 21:30 and
// 22:30 UTC in summer. Read in UTC, it still blocked at 00:30 (and 01:30 in summer). A start "from the 8th" begins at
// midnight in France. The clock is the access hooks' own (the instant each request is judged at). Fixture: the
// specialist `spec` is authorised on p1 and reads document d1.

let now = new Date();
let a: AccessApp;
beforeAll(async () => {
  a = await createAccessApp({ clock: () => now });
  await loadFixture(a.service);
}, 120_000);
afterAll(() => a.close());

const readsD1 = async (rpps: string, at: string) => {
  now = new Date(at);
  return (await request(a.app).get('/fhir/DocumentReference/d1').set('Authorization', `Bearer ${await a.token({ kind: 'practitioner', id: rpps })}`)).status;
};
const migration = (file: string) => readFileSync(path.join(__dirname, '../../../src/store/migrations', file), 'utf8');
const provision = (type: 'permit' | 'deny', rpps: string, period: Record<string, string>) =>
  ({ type, actor: [byRpps(rpps)], period }) as NonNullable<Consent['provision']>;

describe('a block "until today" lasts until midnight in France', () => {
  afterEach(async () => {
    await a.service.repo.delete(systemContext(), 'Consent', 'until-today');
  });

  it('in winter (UTC+1): blocked at 23:30 Paris (22:30 UTC), lifted at 00:30 Paris the next day (23:30 UTC)', async () => {
    await a.service.repo.update(systemContext(), consent('until-today', 'p1', provision('deny', RPPS.spec, { end: '2026-12-07' })));
    expect(await readsD1(RPPS.spec, '2026-12-07T22:30:00Z')).toBe(404);
    expect(await readsD1(RPPS.spec, '2026-12-07T23:30:00Z')).toBe(200);
  });

  it('in summer (UTC+2): blocked at 23:30 Paris (21:30 UTC), lifted at 00:30 Paris the next day (22:30 UTC)', async () => {
    await a.service.repo.update(systemContext(), consent('until-today', 'p1', provision('deny', RPPS.spec, { end: '2026-07-07' })));
    expect(await readsD1(RPPS.spec, '2026-07-07T21:30:00Z')).toBe(404);
    expect(await readsD1(RPPS.spec, '2026-07-07T22:30:00Z')).toBe(200);
  });
});

test('an authorisation "from the 8th" starts at midnight in France (23:00 UTC on the 7th in winter)', async () => {
  await a.service.repo.update(systemContext(), consent('from-the-8th', 'p1', provision('permit', '10000000190', { start: '2026-12-08' })));
  expect(await readsD1('10000000190', '2026-12-07T22:30:00Z')).toBe(404);
  expect(await readsD1('10000000190', '2026-12-07T23:30:00Z')).toBe(200);
});

test('218: bounds stored at their UTC reading are moved to Paris midnights; a dateTime bound is kept', async () => {
  await a.service.repo.update(systemContext(), consent('utc-before', 'p1', provision('deny', RPPS.spec, { start: '2026-12-01', end: '2026-12-07' })));
  await a.service.repo.update(systemContext(), consent('instant-before', 'p1', provision('permit', '10000000191', { end: '2026-12-07T23:59:59.999Z' })));
  // As the code of sweep 8 (and migration 216) stored them: the day's UTC bounds (one row per spelling of the actor).
  await a.testDb.db.query(sql`UPDATE access_consent SET period_start = '2026-12-01T00:00:00Z', period_end = '2026-12-07T23:59:59.999Z' WHERE consent_id = 'utc-before'`);
  expect(await readsD1(RPPS.spec, '2026-12-07T23:30:00Z')).toBe(404);
  await a.testDb.db.query(migration('218_consent_date_bounds_in_paris.sql'));
  expect(await readsD1(RPPS.spec, '2026-12-07T23:30:00Z')).toBe(200);
  expect(await readsD1(RPPS.spec, '2026-12-07T22:30:00Z')).toBe(404);
  const { rows } = await a.testDb.db.query<{ consent_id: string; period_start: Date | null; period_end: Date }>(sql`SELECT DISTINCT consent_id, period_start, period_end FROM access_consent WHERE consent_id IN ('utc-before', 'instant-before') ORDER BY consent_id`);
  expect(rows.map((r) => [r.consent_id, r.period_start && new Date(r.period_start).toISOString(), new Date(r.period_end).toISOString()])).toEqual([
    ['instant-before', null, '2026-12-07T23:59:59.999Z'],
    ['utc-before', '2026-11-30T23:00:00.000Z', '2026-12-07T22:59:59.999Z'],
  ]);
});
