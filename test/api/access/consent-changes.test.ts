import type { MintOptions } from '../../../src/auth/mint-token';
import { byRef, consent, INS_NIR, maskDoc, P1_INS, P3_INS, purpose, RPPS } from './fixture';
import { useFixtureApp } from './fixture-app';

// Consent changes take effect on the next request; record opening, closure and feeds. The tests of this file
// run in order on one record set and each builds on the state the previous one left.

const WHO: Record<string, MintOptions> = {
  patient: { kind: 'patient', id: 'p1' },
  gp: { kind: 'practitioner', id: RPPS.gp },
  spec: { kind: 'practitioner', id: RPPS.spec },
  author: { kind: 'practitioner', id: RPPS.author },
  btg: { kind: 'practitioner', id: '10000000055', purpose: 'BTG', reason: 'unconscious' },
  feeder: { kind: 'system', id: 'lab-feeder' },
  cnam: { kind: 'system', id: 'cnam', category: 'assurance-maladie' },
  newcomer: { kind: 'patient', id: '299999999999945' },
};
const { get, send } = useFixtureApp(WHO);

test('withdrawing a professional takes effect on his next request', async () => {
  expect((await get('spec', '/fhir/DocumentReference/d1')).status).toBe(200);
  const withdrawn = await send('patient', 'put', '/fhir/Consent/c1-spec', { ...consent('c1-spec', 'p1', { type: 'permit', actor: [] }), status: 'inactive', provision: { type: 'permit', actor: [{ role: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ParticipationType', code: 'IRCP' }] }, reference: { identifier: { system: 'urn:oid:1.2.250.1.71.4.2.1', value: `8${RPPS.spec}` } } }] } });
  expect(withdrawn.status).toBe(200);
  expect((await get('spec', '/fhir/DocumentReference/d1')).status).toBe(404);
  expect((await get('spec', '/fhir/DocumentReference?patient=Patient/p1')).body.total).toBe(0);
});

test('blocking the treating physician is refused with 422 explaining to change him first', async () => {
  const res = await send('patient', 'post', '/fhir/Consent', { ...consent('x', 'p1', { type: 'deny', actor: [byRef('gp')] }), id: undefined });
  expect(res.status).toBe(422);
  expect(res.body.issue[0].diagnostics).toMatch(/treating physician.*Change the treating physician/s);
  expect((await get('gp', '/fhir/DocumentReference/d1')).status).toBe(200);
});

let maskId = '';
test('masking a document hides it, its Binary and its extractions from everyone but the patient, treating physician and author', async () => {
  const res = await send('patient', 'post', '/fhir/Consent', { ...consent('x', 'p1', { type: 'deny', data: maskDoc('d1') }), id: undefined });
  expect(res.status).toBe(201);
  maskId = res.body.id;
  for (const path of ['/fhir/DocumentReference/d1', '/fhir/Binary/d1-bin', '/fhir/Observation/d1-obs']) {
    expect((await get('btg', path)).status).toBe(404);
    expect((await get('gp', path)).status).toBe(200);
    expect((await get('author', path)).status).toBe(200);
    expect((await get('patient', path)).status).toBe(200);
  }
});

test('unmasking (deleting the mask consent) shows the document again in break-glass', async () => {
  expect((await send('patient', 'delete', `/fhir/Consent/${maskId}`)).status).toBe(200);
  expect((await get('btg', '/fhir/DocumentReference/d1')).status).toBe(200);
});

test('refusing break-glass in advance stops it on the next request', async () => {
  const res = await send('patient', 'post', '/fhir/Consent', { ...consent('x', 'p1', { type: 'deny', purpose: purpose('BTG') }), id: undefined });
  expect(res.status).toBe(201);
  expect((await get('btg', '/fhir/DocumentReference/d1')).status).toBe(404);
  expect((await get('btg', '/fhir/Patient/p1/$everything')).status).toBe(404);
});

const careHistoryBundle = (ins: string, type: string, authorRpps = RPPS.gp) => ({
  resourceType: 'Bundle',
  type: 'transaction',
  entry: [
    {
      fullUrl: 'urn:uuid:6a1c1f4e-0000-4000-8000-000000000001',
      // Governed by its DocumentReference (a Binary that names neither a document nor a patient is refused).
      resource: {
        resourceType: 'Binary', contentType: 'text/plain', data: Buffer.from('remboursements').toString('base64'),
        securityContext: { reference: 'urn:uuid:6a1c1f4e-0000-4000-8000-000000000002' },
      },
      request: { method: 'POST', url: 'Binary' },
    },
    {
      fullUrl: 'urn:uuid:6a1c1f4e-0000-4000-8000-000000000002',
      resource: {
        resourceType: 'DocumentReference',
        status: 'current',
        type: { coding: [{ system: 'urn:oid:1.2.250.1.213.1.1.4.12', code: type }] },
        subject: { reference: `Patient?identifier=${INS_NIR}|${ins}` },
        author: [{ identifier: { system: 'urn:oid:1.2.250.1.71.4.2.1', value: `8${authorRpps}` } }],
        content: [{ attachment: { contentType: 'text/plain', url: 'urn:uuid:6a1c1f4e-0000-4000-8000-000000000001' } }],
      },
      request: { method: 'POST', url: 'DocumentReference' },
    },
  ],
});

test('a feeder finds the patient by INS inside a transaction although it cannot read the record', async () => {
  const res = await send('feeder', 'post', '/fhir', careHistoryBundle(P1_INS, '11488-4'));
  expect(res.status).toBe(200);
  const docId = /DocumentReference\/([^/]+)/.exec(res.body.entry[1].response.location)![1];
  expect((await get('feeder', `/fhir/DocumentReference/${docId}`)).status).toBe(404);
  expect((await get('patient', `/fhir/DocumentReference/${docId}`)).body.subject.reference).toBe('Patient/p1');
});

test('a feeder submits only on behalf of an authorised author (or the treating physician)', async () => {
  const res = await send('feeder', 'post', '/fhir', careHistoryBundle(P1_INS, '11488-4', '10000000077'));
  expect(res.status).toBe(403);
  expect(res.body.issue[0].diagnostics).toMatch(/on behalf of their author/);
  expect((await send('feeder', 'post', '/fhir', careHistoryBundle(P1_INS, '11488-4', RPPS.author))).status).toBe(403);
});

test('a feeder cannot submit for a patient without an open record: 422 naming the identifier', async () => {
  const res = await send('feeder', 'post', '/fhir', careHistoryBundle(P3_INS, '11488-4'));
  expect(res.status).toBe(422);
  expect(JSON.stringify(res.body)).toContain(P3_INS);
});

test('the Assurance Maladie feeds care history even before opening, and nothing else', async () => {
  expect((await send('cnam', 'post', '/fhir', careHistoryBundle(P3_INS, 'REMB'))).status).toBe(200);
  expect((await send('cnam', 'post', '/fhir', careHistoryBundle(P1_INS, '11488-4'))).status).toBe(403);
  const obs = { resourceType: 'Observation', status: 'final', code: { text: 'x' }, subject: { reference: 'Patient/p1' } };
  expect((await send('cnam', 'post', '/fhir/Observation', obs)).status).toBe(403);
  expect((await get('cnam', `/fhir/Patient?identifier=${P3_INS}`)).status).toBe(403);
});

test('closing the record shuts everyone but the patient out; reopening restores access', async () => {
  const patient = (await get('patient', '/fhir/Patient/p1')).body;
  expect((await send('patient', 'put', '/fhir/Patient/p1', { ...patient, active: false })).status).toBe(200);
  expect((await get('gp', '/fhir/DocumentReference/d1')).status).toBe(404);
  expect((await get('patient', '/fhir/DocumentReference/d1')).status).toBe(200);
  const allergy = { resourceType: 'AllergyIntolerance', patient: { reference: 'Patient/p1' }, code: { text: 'latex' } };
  expect((await send('patient', 'post', '/fhir/AllergyIntolerance', allergy)).status).toBe(422);
  expect((await send('patient', 'put', '/fhir/Patient/p1', { ...patient, active: true })).status).toBe(200);
  expect((await get('gp', '/fhir/DocumentReference/d1')).status).toBe(200);
});

test('a patient opens his own record online with his INS: Patient, then the opening consent', async () => {
  const created = await send('newcomer', 'post', '/fhir/Patient', { resourceType: 'Patient', identifier: [{ system: INS_NIR, value: '299999999999945' }], name: [{ family: 'Nouveau' }], gender: 'male', birthDate: '1999-09-09' });
  expect(created.status).toBe(201);
  const id = created.body.id as string;
  expect((await send('newcomer', 'post', '/fhir/Consent', { ...consent('x', id, { type: 'permit' }), id: undefined })).status).toBe(201);
  expect((await get('newcomer', `/fhir/Patient/${id}/$everything`)).body.total).toBe(2);
});

test('a professional records the opening on the patient\'s behalf but cannot set other consents', async () => {
  const created = await send('spec', 'post', '/fhir/Patient', { resourceType: 'Patient', identifier: [{ system: INS_NIR, value: '288888888888872' }], name: [{ family: 'Ouvert' }], gender: 'female', birthDate: '1988-08-08' });
  expect(created.status).toBe(201);
  const id = created.body.id as string;
  expect((await send('spec', 'post', '/fhir/Consent', { ...consent('x', id, { type: 'permit' }), id: undefined })).status).toBe(201);
  // Opening it on her behalf does not let him read it: the record is absent for him, as for anyone it does not admit.
  expect((await send('spec', 'post', '/fhir/Consent', { ...consent('x', id, { type: 'deny', purpose: purpose('BTG') }), id: undefined })).status).toBe(422);
});
