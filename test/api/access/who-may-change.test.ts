import request from 'supertest';
import type { MintOptions } from '../../../src/auth/mint-token';
import { A07, byRpps, consent, IDNAT, loadFixture, RPPS } from './fixture';
import { createAccessApp, type AccessApp } from './harness';

// Issue 11, attack 5: provenance decides who may change what. The writer of each row is recorded from the token
// at create; an update, patch or delete is for that writer (the professional, the feeder, the patient for his own
// entries). Tests run in order on one record set: p1, whose treating physician is gp and who authorised spec.

let a: AccessApp;
const BIOLOGIST = '10000000011';
const WHO: Record<string, MintOptions> = {
  patient: { kind: 'patient', id: 'p1' },
  guardian: { kind: 'guardian', id: 'rp1' },
  gp: { kind: 'practitioner', id: RPPS.gp },
  spec: { kind: 'practitioner', id: RPPS.spec },
  biologist: { kind: 'practitioner', id: BIOLOGIST },
  feeder: { kind: 'system', id: 'lab-feeder' },
  'other feeder': { kind: 'system', id: 'other-feeder' },
};
const tokens: Record<string, string> = {};

beforeAll(async () => {
  a = await createAccessApp();
  await loadFixture(a.service);
  for (const [name, mint] of Object.entries(WHO)) tokens[name] = await a.token(mint);
  const permit = await send('patient', 'post', '/fhir/Consent', { ...consent('x', 'p1', { type: 'permit', actor: [byRpps(BIOLOGIST)] }), id: undefined });
  if (permit.status !== 201) throw new Error(`consent: ${permit.status}`);
}, 120_000);
afterAll(() => a.close());

const get = (who: string, url: string) => request(a.app).get(url).set('Authorization', `Bearer ${tokens[who]}`);
function send(who: string, method: 'post' | 'put' | 'delete' | 'patch', url: string, body?: unknown) {
  const type = method === 'patch' ? 'application/json-patch+json' : 'application/fhir+json';
  const req = request(a.app)[method](url).set('Authorization', `Bearer ${tokens[who]}`).set('Content-Type', type);
  return body === undefined ? req : req.send(JSON.stringify(body));
}
const diagnostics = (res: request.Response): string => res.body.issue?.[0]?.diagnostics ?? '';

const glucose = (value: number) => ({
  resourceType: 'Observation', status: 'final', subject: { reference: 'Patient/p1' },
  code: { coding: [{ system: 'http://loinc.org', code: '15074-8' }] }, valueQuantity: { value, unit: 'mmol/L', system: 'http://unitsofmeasure.org', code: 'mmol/L' },
});
const bloodGroup = (group: string) => ({
  resourceType: 'Observation', status: 'final', subject: { reference: 'Patient/p1' },
  code: { coding: [{ system: 'http://loinc.org', code: '882-1' }] }, valueCodeableConcept: { text: group },
});
const report = (flags: string[] = [], status = 'current') => ({
  resourceType: 'DocumentReference', status, subject: { reference: 'Patient/p1' },
  type: { coding: [{ system: 'http://loinc.org', code: '11488-4' }] },
  securityLabel: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-Confidentiality', code: 'N' }] }, ...flags.map((code) => ({ coding: [{ system: A07, code }] }))],
  author: [{ identifier: { system: IDNAT, value: `8${RPPS.gp}` } }],
  content: [{ attachment: { contentType: 'text/plain', data: Buffer.from('compte rendu').toString('base64') } }],
});

test('an authorised practitioner cannot change or delete a biologist\'s lab result (PUT, PATCH, DELETE: 403); the biologist can', async () => {
  const created = await send('biologist', 'post', '/fhir/Observation', glucose(5.1));
  expect(created.status).toBe(201);
  const url = `/fhir/Observation/${created.body.id}`;
  const put = await send('spec', 'put', url, { ...glucose(9.9), id: created.body.id });
  expect(put.status).toBe(403);
  expect(diagnostics(put)).toMatch(/Only who wrote Observation\/.* may change or delete it/);
  expect((await send('spec', 'patch', url, [{ op: 'replace', path: '/valueQuantity/value', value: 9.9 }])).status).toBe(403);
  expect((await send('gp', 'patch', url, [{ op: 'replace', path: '/valueQuantity/value', value: 9.9 }])).status).toBe(403);
  expect((await send('spec', 'delete', url)).status).toBe(403);
  expect((await get('spec', url)).body.valueQuantity.value).toBe(5.1);
  expect((await send('biologist', 'put', url, { ...glucose(5.2), id: created.body.id })).status).toBe(200);
  expect((await get('spec', url)).body.valueQuantity.value).toBe(5.2);
});

test('a professional cannot change the blood group the patient entered (403); the patient and his guardian can', async () => {
  const created = await send('patient', 'post', '/fhir/Observation', bloodGroup('A+'));
  expect(created.status).toBe(201);
  const url = `/fhir/Observation/${created.body.id}`;
  const byGp = await send('gp', 'put', url, { ...bloodGroup('B-'), id: created.body.id });
  expect(byGp.status).toBe(403);
  expect(diagnostics(byGp)).toMatch(/entered by the patient: only the patient or his legal guardian/);
  expect((await send('spec', 'patch', url, [{ op: 'replace', path: '/valueCodeableConcept/text', value: 'B-' }])).status).toBe(403);
  expect((await send('spec', 'delete', url)).status).toBe(403);
  expect((await send('patient', 'put', url, { ...bloodGroup('A-'), id: created.body.id })).status).toBe(200);
  expect((await send('guardian', 'patch', url, [{ op: 'replace', path: '/valueCodeableConcept/text', value: 'A+' }])).status).toBe(200);
  expect((await get('patient', url)).body.valueCodeableConcept.text).toBe('A+');
});

test('an authorised practitioner cannot set INVISIBLE_PATIENT or status superseded on another\'s report, by PUT or PATCH; the author can', async () => {
  // Created with a server-assigned id: token actors cannot choose ids (update-as-create would tell hidden ids apart).
  const created = await send('gp', 'post', '/fhir/DocumentReference', report());
  expect(created.status).toBe(201);
  const id = created.body.id as string;
  const url = `/fhir/DocumentReference/${id}`;
  const hide = await send('spec', 'put', url, { ...report(['INVISIBLE_PATIENT']), id });
  expect(hide.status).toBe(403);
  expect(diagnostics(hide)).toMatch(new RegExp(`Only the author of DocumentReference/${id} .* may change its status or security labels`));
  expect((await send('spec', 'put', url, { ...report([], 'superseded'), id })).status).toBe(403);
  expect((await send('spec', 'patch', url, [{ op: 'add', path: '/securityLabel/-', value: { coding: [{ system: A07, code: 'INVISIBLE_PATIENT' }] } }])).status).toBe(403);
  expect((await send('spec', 'patch', url, [{ op: 'replace', path: '/status', value: 'superseded' }])).status).toBe(403);
  expect((await get('patient', url)).body.status).toBe('current');
  // The author may; the document then disappears for the patient, as the label says.
  expect((await send('gp', 'patch', url, [{ op: 'replace', path: '/status', value: 'superseded' }])).status).toBe(200);
  expect((await send('gp', 'put', url, { ...report(['INVISIBLE_PATIENT'], 'superseded'), id })).status).toBe(200);
  expect((await get('patient', url)).status).toBe(404);
});

test('the patient masks through Consent, never by editing a document\'s labels', async () => {
  const res = await send('patient', 'put', '/fhir/DocumentReference/d1', { ...report(['MASQUE_PS']), id: 'd1' });
  expect(res.status).toBe(403);
  expect(diagnostics(res)).toMatch(/the patient masks a document with a Consent/);
});

test('a professional who is not its author cannot change or delete a document written before provenance (its authors answer)', async () => {
  // d1 was written by the server (fixture) with author RPPS.author; spec is authorised but not its author.
  expect((await send('spec', 'patch', '/fhir/DocumentReference/d1', [{ op: 'replace', path: '/status', value: 'entered-in-error' }])).status).toBe(403);
  expect((await send('spec', 'delete', '/fhir/DocumentReference/d1')).status).toBe(403);
});

test('a resource extracted from a document changes only by replacing the document', async () => {
  const body = { ...(await get('spec', '/fhir/Observation/d1-obs')).body, status: 'amended' };
  const res = await send('spec', 'put', '/fhir/Observation/d1-obs', body);
  expect(res.status).toBe(403);
  expect(diagnostics(res)).toBe('Observation/d1-obs is part of document DocumentReference/d1: replace the document to change it');
  expect((await send('patient', 'delete', '/fhir/Observation/d1-obs')).status).toBe(403);
  expect((await send('gp', 'patch', '/fhir/Observation/d1-obs', [{ op: 'replace', path: '/status', value: 'amended' }])).status).toBe(403);
});

test('a row with no recorded writer (older than provenance) changes for the patient only', async () => {
  // The fixture's rows are the server's (kind server); a row from before migration 142 has no writer row at all.
  await a.testDb.db.query("DELETE FROM access_writer WHERE type = 'AllergyIntolerance' AND id = 'a1'");
  const allergy = { ...(await get('patient', '/fhir/AllergyIntolerance/a1')).body, code: { text: 'peanuts' } };
  const res = await send('spec', 'put', '/fhir/AllergyIntolerance/a1', allergy);
  expect(res.status).toBe(403);
  expect(diagnostics(res)).toMatch(/no recorded writer: only the patient/);
  expect((await send('patient', 'put', '/fhir/AllergyIntolerance/a1', allergy)).status).toBe(200);
});

test('a feeder changes only what it submitted: another feeder cannot replace its document (absent for him)', async () => {
  const submit = (who: string, replaces?: string) => send(who, 'post', '/fhir', {
    resourceType: 'Bundle', type: 'transaction',
    entry: [{
      fullUrl: 'urn:uuid:7b2c1f4e-0000-4000-8000-000000000002',
      resource: {
        ...report(), content: [{ attachment: { contentType: 'text/plain', data: Buffer.from('résultats').toString('base64') } }],
        ...(replaces ? { relatesTo: [{ code: 'replaces', target: { reference: `DocumentReference/${replaces}` } }] } : {}),
      },
      request: { method: 'POST', url: 'DocumentReference' },
    }],
  });
  const first = await submit('feeder');
  expect(first.status).toBe(200);
  const docId = /DocumentReference\/([^/]+)/.exec(first.body.entry[0].response.location)![1];
  // Feeders read nothing: another feeder's document is absent for him, as a missing one would be.
  const stolen = await submit('other feeder', docId);
  expect(stolen.status).toBe(422);
  expect(diagnostics(stolen)).toBe(`relatesTo replaces DocumentReference/${docId}, which does not exist in this record: a replacement needs its parent document (nothing was written)`);
  expect((await submit('feeder', docId)).status).toBe(200);
});

test('an authorised practitioner cannot replace a document he sees but did not write', async () => {
  const res = await send('spec', 'post', '/fhir/DocumentReference', { ...report(), relatesTo: [{ code: 'replaces', target: { reference: 'DocumentReference/d1' } }] });
  expect(res.status).toBe(403);
  expect(diagnostics(res)).toBe('Only the author of DocumentReference/d1 (or the feeder that submitted it) may change or delete it');
});
