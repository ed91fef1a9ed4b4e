import type { Consent, ConsentProvision, Patient } from '@medplum/fhirtypes';
import { applyAccessWrite } from '../../../src/access/access-tables';
import { compileAccess } from '../../../src/access/compile-access';
import { decideAccess } from '../../../src/access/decide-access';
import type { Db } from '../../../src/store/db';
import { sql } from '../../../src/store/sql';
import { practitionerActor } from './actors';
import { buildConsent, IDNAT, maskDoc, professionalByRpps, purpose, writeResource } from './fixture';
import { openTestDb } from './test-db';

// The summary columns of access_record (migration 090) are derived from access_consent by triggers; the access
// predicate trusts them. These tests pin the derivation, and the rules with a period that stay in access_consent.

const SPEC = '10000000002';
const OTHER = '10000000009';
const now = new Date('2026-03-01T12:00:00Z');

let db: Db;
beforeEach(async () => {
  db = await openTestDb();
});
afterEach(() => db.close());

async function writeConsent(consent: Consent, interaction: 'create' | 'update' | 'delete' = 'create'): Promise<void> {
  const patientId = consent.patient!.reference!.slice('Patient/'.length);
  await db.transaction((tx) =>
    applyAccessWrite(tx, { interaction, resourceType: 'Consent', id: consent.id!, versionId: 1, resource: interaction === 'delete' ? undefined : consent, compartment: patientId }),
  );
}

async function writePatient(id: string, extra: Partial<Patient> = {}): Promise<void> {
  const patient: Patient = { resourceType: 'Patient', id, ...extra };
  await writeResource(db, { type: 'Patient', id, compartment: id, content: patient });
}

async function summary(patientId: string) {
  const { rows } = await db.query<Record<string, unknown>>(
    sql`SELECT opened, permitted, denied, timed, masked, refused FROM access_record WHERE patient_id = ${patientId}`,
  );
  return rows[0];
}

const spec = (provision: Partial<ConsentProvision> = {}): ConsentProvision => ({ type: 'permit', actor: [professionalByRpps(SPEC)], ...provision });

test('each kind of rule lands in its column, and leaves it when its Consent is withdrawn or deleted', async () => {
  await writePatient('p1');
  expect(await summary('p1')).toEqual({ opened: false, permitted: [], denied: [], timed: false, masked: [], refused: [] });
  await writeConsent(buildConsent('open', 'p1', { type: 'permit' }));
  await writeConsent(buildConsent('spec', 'p1', spec()));
  await writeConsent(buildConsent('block', 'p1', { type: 'deny', actor: [professionalByRpps(OTHER)] }));
  await writeConsent(buildConsent('mask', 'p1', { type: 'deny', data: maskDoc('d1') }));
  await writeConsent(buildConsent('no-btg', 'p1', { type: 'deny', purpose: purpose('BTG') }));
  const s = await summary('p1');
  expect(s).toMatchObject({ opened: true, timed: false, masked: ['d1'], refused: ['BTG'] });
  expect(s.permitted).toEqual(expect.arrayContaining([`${IDNAT}|8${SPEC}`]));
  expect(s.denied).toEqual(expect.arrayContaining([`${IDNAT}|8${OTHER}`]));

  await writeConsent({ ...buildConsent('spec', 'p1', spec()), status: 'inactive' }, 'update');
  await writeConsent(buildConsent('mask', 'p1', { type: 'deny', data: maskDoc('d1') }), 'delete');
  await writeConsent({ ...buildConsent('open', 'p1', { type: 'permit' }), status: 'inactive' }, 'update');
  expect(await summary('p1')).toMatchObject({ opened: false, permitted: [], masked: [], refused: ['BTG'] });
});

test('a record row written after its consents starts from them, and a Patient update keeps them', async () => {
  await writeConsent(buildConsent('open', 'p2', { type: 'permit' }));
  await writeConsent(buildConsent('spec', 'p2', spec()));
  expect(await summary('p2')).toBeUndefined();
  await writePatient('p2');
  expect(await summary('p2')).toMatchObject({ opened: true, permitted: expect.arrayContaining([`${IDNAT}|8${SPEC}`]) });
  await db.transaction((tx) =>
    applyAccessWrite(tx, { interaction: 'update', resourceType: 'Patient', id: 'p2', versionId: 2, resource: { resourceType: 'Patient', id: 'p2', active: false }, compartment: 'p2' }),
  );
  expect(await summary('p2')).toMatchObject({ opened: true, permitted: expect.arrayContaining([`${IDNAT}|8${SPEC}`]) });
});

test('rules with a period are marked timed and kept out of the arrays', async () => {
  await writePatient('p3');
  await writeConsent(buildConsent('spec', 'p3', spec({ period: { start: '2026-01-01', end: '2026-12-31' } })));
  expect(await summary('p3')).toMatchObject({ timed: true, permitted: [] });
});

describe('rules with a period are judged at the request instant', () => {
  async function specialistSees(docId: string, at = now): Promise<boolean> {
    const plan = decideAccess(practitionerActor(SPEC), 'read', 'DocumentReference', { now: at });
    const { rows } = await db.query(sql`SELECT 1 FROM resource r WHERE r.id = ${docId} AND ${compileAccess(plan)}`);
    return rows.length === 1;
  }

  beforeEach(async () => {
    await writePatient('p4');
    await writeConsent(buildConsent('open', 'p4', { type: 'permit' }));
    await writeResource(db, { type: 'DocumentReference', id: 'd4', compartment: 'p4', docId: 'd4', security: ['N'] });
  });

  test('a permit in force grants, one not yet in force or expired does not', async () => {
    await writeConsent(buildConsent('spec', 'p4', spec({ period: { start: '2026-02-01', end: '2026-04-01' } })));
    expect(await specialistSees('d4')).toBe(true);
    expect(await specialistSees('d4', new Date('2026-01-15T00:00:00Z'))).toBe(false);
    expect(await specialistSees('d4', new Date('2026-05-01T00:00:00Z'))).toBe(false);
  });

  test('a deny in force overrides a permit without a period, and stops applying when it ends', async () => {
    await writeConsent(buildConsent('spec', 'p4', spec()));
    await writeConsent(buildConsent('block', 'p4', { type: 'deny', actor: [professionalByRpps(SPEC)], period: { start: '2026-02-01', end: '2026-04-01' } }));
    expect(await specialistSees('d4')).toBe(false);
    expect(await specialistSees('d4', new Date('2026-05-01T00:00:00Z'))).toBe(true);
  });
});
