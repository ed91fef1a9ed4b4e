import request from 'supertest';
import type { MintOptions } from '../../../src/auth/mint-token';
import { CLOSURE_REASON_SYSTEM, RECORD_CLOSURE_URL, shiftDate } from '../../../src/records/record-closure';
import { sql } from '../../../src/store/sql';
import { loadFixture, RPPS } from '../access/fixture';
import { createRecordsApp, type RecordsApp } from './harness';

// Closing, keeping and reactivating a record (DESIGN §1). The tests run in order on one record set, on an injected
// clock: p1 is closed, read, reactivated within 10 years, closed again and found too old to reactivate 10 years on.

const T0 = new Date('2026-01-15T09:30:00Z');
let a: RecordsApp;
const WHO: Record<string, MintOptions> = {
  patient: { kind: 'patient', id: 'p1' },
  guardian: { kind: 'guardian', id: 'rp1' },
  gp: { kind: 'practitioner', id: RPPS.gp },
  spec: { kind: 'practitioner', id: RPPS.spec },
};
const tokens: Record<string, string> = {};

beforeAll(async () => {
  a = await createRecordsApp({ start: T0 });
  await loadFixture(a.service);
  for (const [name, mint] of Object.entries(WHO)) tokens[name] = await a.token(mint);
}, 120_000);
afterAll(() => a.close());

const get = (who: string, url: string) => request(a.app).get(url).set('Authorization', `Bearer ${tokens[who]}`);
const post = (who: string, url: string, body?: unknown) =>
  request(a.app).post(url).set('Authorization', `Bearer ${tokens[who]}`).set('Content-Type', 'application/fhir+json').send(JSON.stringify(body ?? { resourceType: 'Parameters' }));
const reason = (code: string) => ({ resourceType: 'Parameters', parameter: [{ name: 'reason', valueCode: code }] });
const recordRow = async () =>
  (await a.db.query<{ closed: boolean; closed_at: Date | null; closure_reason: string | null }>(sql`SELECT closed, closed_at, closure_reason FROM access_record WHERE patient_id = 'p1'`)).rows[0];
const notices = async (kind: string) =>
  (await a.db.query<{ subject: string; body: string }>(sql`SELECT subject, body FROM notify_outbox WHERE patient_id = 'p1' AND kind = ${kind} ORDER BY id`)).rows;

test('a professional, even the treating physician, may not close a record', async () => {
  expect((await post('gp', '/fhir/Patient/p1/$close', reason('patient-request'))).status).toBe(403);
  expect((await recordRow()).closed).toBe(false);
});

test('closing needs a reason from the closure value set', async () => {
  expect((await post('patient', '/fhir/Patient/p1/$close')).status).toBe(400);
  const unknown = await post('patient', '/fhir/Patient/p1/$close', reason('bored'));
  expect(unknown.status).toBe(422);
  expect(unknown.body.issue[0].diagnostics).toMatch(/Motif de fermeture inconnu.*patient-request, deceased, duplicate, other/);
});

test('changing Patient.active by PUT or PATCH is refused with 422 naming $close and $reactivate', async () => {
  const patient = (await get('patient', '/fhir/Patient/p1')).body;
  const res = await request(a.app).put('/fhir/Patient/p1').set('Authorization', `Bearer ${tokens.patient}`).set('Content-Type', 'application/fhir+json')
    .send(JSON.stringify({ ...patient, active: false }));
  expect(res.status).toBe(422);
  expect(res.body.issue[0].diagnostics).toMatch(/\$close.*\$reactivate/);
  const patch = await request(a.app).patch('/fhir/Patient/p1').set('Authorization', `Bearer ${tokens.patient}`).set('Content-Type', 'application/json-patch+json')
    .send(JSON.stringify([{ op: 'add', path: '/active', value: false }]));
  expect(patch.status).toBe(422);
  expect((await recordRow()).closed).toBe(false);
});

test('closing with a reason stores its instant and reason, shows them on the Patient and tells the patient in French', async () => {
  expect((await get('spec', '/fhir/DocumentReference/d1')).status).toBe(200);
  const res = await post('patient', '/fhir/Patient/p1/$close', reason('patient-request'));
  expect(res.status).toBe(200);
  expect(res.body.active).toBe(false);
  const closure = res.body.extension.find((e: { url: string }) => e.url === RECORD_CLOSURE_URL);
  expect(closure.extension).toEqual([
    { url: 'closedAt', valueDateTime: T0.toISOString() },
    { url: 'reason', valueCoding: { system: CLOSURE_REASON_SYSTEM, code: 'patient-request', display: 'Fermeture à la demande du patient' } },
  ]);
  expect((await get('patient', '/fhir/Patient/p1')).body.extension).toEqual(res.body.extension);
  const row = await recordRow();
  expect(row).toEqual({ closed: true, closed_at: T0, closure_reason: 'patient-request' });
  const [notice] = await notices('record-closed');
  expect(notice.subject).toBe('Votre dossier médical partagé a été fermé');
  expect(notice.body).toContain('fermé le 15 janvier 2026 à 10:30');
  expect(notice.body).not.toMatch(/patient-request|demande/);
});

test('a closed record is shown to nobody but the patient, who still reads all of it', async () => {
  for (const who of ['gp', 'spec']) {
    expect((await get(who, '/fhir/DocumentReference/d1')).status).toBe(404);
    expect((await get(who, '/fhir/Patient/p1')).status).toBe(404);
    expect((await get(who, '/fhir/DocumentReference?patient=Patient/p1')).body.total).toBe(0);
  }
  expect((await get('patient', '/fhir/DocumentReference/d1')).status).toBe(200);
  expect((await get('patient', '/fhir/Binary/d1-bin')).status).toBe(200);
  expect((await get('patient', '/fhir/Patient/p1/$everything')).body.total).toBeGreaterThan(5);
});

test('closing a closed record again is refused with 422', async () => {
  expect((await post('patient', '/fhir/Patient/p1/$close', reason('other'))).status).toBe(422);
});

test('the patient may still change his closed Patient if the closure stays as it is, but not remove it', async () => {
  const patient = (await get('patient', '/fhir/Patient/p1')).body;
  const put = (body: unknown) => request(a.app).put('/fhir/Patient/p1').set('Authorization', `Bearer ${tokens.patient}`).set('Content-Type', 'application/fhir+json').send(JSON.stringify(body));
  // (Contacts change only through $change-contact: an address is an ordinary change.)
  expect((await put({ ...patient, address: [{ city: 'Lyon', country: 'FR' }] })).status).toBe(200);
  expect((await put({ ...patient, extension: [] })).status).toBe(422);
  expect((await recordRow()).closed_at).toEqual(T0);
});

test('a professional may not reactivate a record', async () => {
  expect((await post('gp', '/fhir/Patient/p1/$reactivate')).status).toBe(403);
});

test('the patient reactivates within 10 years: 200, professionals see the record again as the consents say', async () => {
  a.clock.now = shiftDate(T0, 9, 11);
  // p1, a minor at the closure, is an adult by then: his parent's guardianship has ended, the record is his to reopen.
  expect((await post('guardian', '/fhir/Patient/p1/$reactivate')).status).toBe(403);
  const res = await post('patient', '/fhir/Patient/p1/$reactivate');
  expect(res.status).toBe(200);
  expect(res.body.active).toBe(true);
  expect(res.body.extension ?? []).toEqual([]);
  expect(await recordRow()).toEqual({ closed: false, closed_at: null, closure_reason: null });
  expect((await get('gp', '/fhir/DocumentReference/d1')).status).toBe(200);
  expect((await get('spec', '/fhir/DocumentReference/d1')).status).toBe(200);
  expect((await get('spec', '/fhir/DocumentReference/d2')).status).toBe(404); // still masked
  const [notice] = await notices('record-reactivated');
  expect(notice.subject).toBe('Votre dossier médical partagé a été réactivé');
});

test('10 years after closure reactivation is refused with 422 and the record stays closed', async () => {
  const closedAt = shiftDate(T0, 10);
  a.clock.now = closedAt;
  expect((await post('patient', '/fhir/Patient/p1/$close', reason('deceased'))).status).toBe(200);
  expect((await recordRow()).closure_reason).toBe('deceased');
  a.clock.now = shiftDate(closedAt, 10);
  const res = await post('patient', '/fhir/Patient/p1/$reactivate');
  expect(res.status).toBe(422);
  expect(res.body.issue[0].diagnostics).toMatch(/durée de conservation de 10 ans est écoulée/);
  expect((await recordRow()).closed).toBe(true);
  expect((await get('gp', '/fhir/DocumentReference/d1')).status).toBe(404);
});
