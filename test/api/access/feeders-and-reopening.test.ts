import { consent, INS_NIR, P1_INS, RPPS } from './fixture';
import { withInsKey } from './ins-values';
import { useFixtureApp } from './fixture-app';

// Issue 11, attacks 6 and 7: a feeder listed every open record's identity and contacts; after the patient withdrew
// his agreement, any practitioner could record a new one and re-open the record.

const { get, send } = useFixtureApp({
  feeder: { kind: 'system', id: 'lab-feeder' },
  patient: { kind: 'patient', id: 'p2' },
  gp: { kind: 'practitioner', id: RPPS.gp },
  spec: { kind: 'practitioner', id: RPPS.spec },
  stranger: { kind: 'practitioner', id: '10000000077' },
});

test('a feeder cannot list patients, nor find one by INS, nor read one by id', async () => {
  const list = await get('feeder', '/fhir/Patient');
  expect(list.status).toBe(200);
  expect(list.body.total).toBe(0);
  expect(JSON.stringify(list.body)).not.toMatch(/patient@example\.org|Martin|Durand/);
  expect((await get('feeder', `/fhir/Patient?identifier=${P1_INS}`)).body.total).toBe(0);
  expect((await get('feeder', '/fhir/Patient/p1')).status).toBe(404);
  expect((await get('feeder', '/fhir/Patient/p1/_history')).status).toBe(404);
});

test('a practitioner cannot re-open a record whose opening the patient withdrew; the patient can', async () => {
  const withdrawn = await send('patient', 'put', '/fhir/Consent/c2-open', { ...consent('c2-open', 'p2', { type: 'permit' }), status: 'inactive' });
  expect(withdrawn.status).toBe(200);
  for (const who of ['gp', 'spec', 'stranger']) {
    const reopened = await send(who, 'post', '/fhir/Consent', consent('again', 'p2', { type: 'permit' }));
    // A withdrawn record is read by no professional: for each it is absent (the patient's trail says what was refused).
    expect(reopened.status).toBe(422);
    expect(reopened.body.issue[0].diagnostics).toBe('A Consent must belong to one patient\'s record: Patient/p2 does not exist on this server');
  }
  expect((await send('patient', 'post', '/fhir/Consent', { ...consent('again', 'p2', { type: 'permit' }), id: undefined })).status).toBe(201);
});

test('a practitioner still records the first opening of a record he created with the patient; not of another', async () => {
  const created = await send('gp', 'post', '/fhir/Patient', {
    resourceType: 'Patient', identifier: [{ system: INS_NIR, value: withInsKey('2680575123461') }], name: [{ family: 'Neuve', given: ['Anne'] }], gender: 'female', birthDate: '1968-05-05',
  });
  expect(created.status).toBe(201);
  const res = await send('gp', 'post', '/fhir/Consent', { ...consent('first', created.body.id, { type: 'permit' }), id: undefined });
  expect(res.status).toBe(201);
  // p3 never had an opening consent, and the server created it: no professional who learns its id opens it (absent).
  expect((await send('gp', 'post', '/fhir/Consent', { ...consent('first', 'p3', { type: 'permit' }), id: undefined })).status).toBe(422);
});

test('a feeder finds the patient of a submission by exact identifier only, never by name', async () => {
  const bundle = (subject: string) => ({
    resourceType: 'Bundle',
    type: 'transaction',
    entry: [{
      fullUrl: 'urn:uuid:0b7e2a52-0000-4000-8000-000000000001',
      resource: {
        resourceType: 'DocumentReference', status: 'current', subject: { reference: subject },
        type: { coding: [{ system: 'http://loinc.org', code: '11488-4' }] },
        author: [{ identifier: { system: 'urn:oid:1.2.250.1.71.4.2.1', value: `8${RPPS.gp}` } }],
        content: [{ attachment: { contentType: 'text/plain', data: Buffer.from('lettre').toString('base64') } }],
      },
      request: { method: 'POST', url: 'DocumentReference' },
    }],
  });
  for (const probe of ['Patient?family=Martin', 'Patient?birthdate=2015-04-02', `Patient?identifier=${P1_INS}`, `Patient?identifier=urn:oid:1.2.250.1.213.1.4.8|${P1_INS}&family=Martin`]) {
    const res = await send('feeder', 'post', '/fhir', bundle(probe));
    expect(res.status).toBe(403);
    expect(res.body.issue[0].diagnostics).toMatch(/only by one exact identifier/);
  }
  expect((await send('feeder', 'post', '/fhir', bundle(`Patient?identifier=urn:oid:1.2.250.1.213.1.4.8|${P1_INS}`))).status).toBe(200);
});
