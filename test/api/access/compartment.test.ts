import request from 'supertest';
import { OFFERED_TYPES } from '../../../src/access/resource-classes';
import { RPPS } from './fixture';
import { useFixtureApp } from './fixture-app';

// Issue 11, attacks 1 and 2: clinical rows whose compartment was left empty were read as public directory rows.
// Every clinical row is now tied to exactly one local Patient at write, and a row of a clinical type is never
// served as a directory row.

const { app, get, send } = useFixtureApp({
  gp: { kind: 'practitioner', id: RPPS.gp },
  patient: { kind: 'patient', id: 'p1' },
  otherPatient: { kind: 'patient', id: 'p2' },
  stranger: { kind: 'practitioner', id: '10000000077' },
  feeder: { kind: 'system', id: 'lab-feeder' },
});
const post = (who: string, path: string, body: object) => send(who, 'post', path, body);

const condition = (subject: object) => ({
  resourceType: 'Condition',
  clinicalStatus: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code: 'active' }] },
  code: { coding: [{ system: 'http://snomed.info/sct', code: '44054006', display: 'Diabète de type 2' }] },
  subject,
});

test('a diagnosis of patient p1 is listed to p1 and to nobody else', async () => {
  const created = await post('gp', '/fhir/Condition', condition({ reference: 'Patient/p1' }));
  expect(created.status).toBe(201);
  const id = created.body.id as string;
  expect((await get('patient', `/fhir/Condition?_id=${id}`)).body.total).toBe(1);
  for (const who of ['otherPatient', 'stranger', 'feeder']) {
    const list = await get(who, '/fhir/Condition');
    expect([200, 403]).toContain(list.status);
    if (list.status === 200) expect(list.body.total).toBe(0);
    expect((await get(who, `/fhir/Condition/${id}`)).status).toBeGreaterThanOrEqual(403);
  }
});

test('an unauthorised practitioner cannot add a diagnosis to a record', async () => {
  const res = await post('stranger', '/fhir/Condition', condition({ reference: 'Patient/p1' }));
  expect(res.status).toBe(422); // a record he does not see answers as a missing one (record-existence.test.ts)
  expect(res.body.resourceType).toBe('OperationOutcome');
});

test('a clinical resource naming no local Patient is refused with 422, never stored public', async () => {
  const obs = { resourceType: 'Observation', status: 'final', code: { text: 'Glycémie' } };
  for (const body of [
    obs,
    { ...obs, subject: { identifier: { system: 'urn:oid:1.2.250.1.213.1.4.8', value: '279035121518989' } } },
    { ...obs, subject: { reference: 'Patient/does-not-exist' } },
    { ...obs, subject: { reference: 'Group/g1' } },
  ]) {
    const res = await post('gp', '/fhir/Observation', body);
    expect(res.status).toBe(422);
    expect(res.body.issue[0].diagnostics).toMatch(/Patient/);
  }
  expect((await get('stranger', '/fhir/Observation?code:text=Glyc')).body.total ?? 0).toBe(0);
});

test('a resource naming two patients is refused with 422', async () => {
  const obs = { resourceType: 'Observation', status: 'final', code: { text: 'x' }, subject: { reference: 'Patient/p1' }, performer: [{ reference: 'Patient/p2' }] };
  const res = await post('gp', '/fhir/Observation', obs);
  expect(res.status).toBe(422);
  expect(res.body.issue[0].diagnostics).toMatch(/Patient\/p1 and Patient\/p2/);
});

test('a Binary that names neither its document nor a patient is refused with 422', async () => {
  const res = await post('gp', '/fhir/Binary', { resourceType: 'Binary', contentType: 'text/plain', data: Buffer.from('secret').toString('base64') });
  expect(res.status).toBe(422);
  const governed = await post('gp', '/fhir/Binary', { resourceType: 'Binary', contentType: 'text/plain', data: Buffer.from('note').toString('base64'), securityContext: { reference: 'Patient/p1' } });
  expect(governed.status).toBe(201);
  expect((await get('stranger', `/fhir/Binary/${governed.body.id}`)).status).toBe(404);
  expect((await get('patient', `/fhir/Binary/${governed.body.id}`)).status).toBe(200);
});

test('a type the server does not offer answers 404 and is not in the CapabilityStatement', async () => {
  for (const type of ['Task', 'Provenance', 'Basic', 'Person', 'MeasureReport']) {
    const res = await get('gp', `/fhir/${type}`);
    expect(res.status).toBe(404);
    expect(res.body.issue[0].diagnostics).toMatch(/not offered/);
  }
  const cs = await request(app().app).get('/fhir/metadata');
  const listed = (cs.body.rest[0].resource as { type: string; interaction: { code: string }[] }[]);
  expect(listed.map((r) => r.type)).toEqual([...OFFERED_TYPES]);
  expect(listed.find((r) => r.type === 'AuditEvent')!.interaction.map((i) => i.code)).toEqual(['read', 'vread', 'history-instance', 'search-type']);
  expect(listed.find((r) => r.type === 'Patient')!.interaction.map((i) => i.code)).not.toContain('delete');
});
