import type { Resource } from '@medplum/fhirtypes';
import request from 'supertest';
import { markSystemContext } from '../../../src/access/access-hooks';
import type { RequestContext } from '../../../src/fhir/context';
import { RequestState } from '../../../src/fhir/request-state';
import { TRUE } from '../../../src/store/sql';
import { byRpps, consent, loadFixture, RPPS } from './fixture';
import { createAccessApp, type AccessApp } from './harness';
import { withInsKey } from './ins-values';
import { INS_NIR } from './fixture';

// Issue 12: an authorised practitioner made a stranger the "legal guardian" of an adult, and nothing ended a
// parent's access at the child's majority. A guardian link gives rights only while the patient is a minor
// (Europe/Paris) or while a court measure (GUARD with a period that ends) runs, and ordinary professionals
// cannot record one.

let a: AccessApp;
let now = new Date('2026-12-06T12:00:00Z');
const tokens: Record<string, string> = {};
const J = 'application/fhir+json';
const ROLE = 'http://terminology.hl7.org/CodeSystem/v3-RoleCode';

const guardianOf = (patientId: string, code: string, extra: object = {}) => ({
  resourceType: 'RelatedPerson', patient: { reference: `Patient/${patientId}` }, relationship: [{ coding: [{ system: ROLE, code }] }], name: [{ family: 'Parent' }], ...extra,
});

/** Writes as the server itself (an import), bypassing the write rules: links that exist whoever made them. */
async function seed(resource: Resource): Promise<void> {
  const ctx: RequestContext = { requestId: 'seed', access: TRUE, state: new RequestState() };
  markSystemContext(ctx);
  await a.service.repo.update(ctx, resource);
}

beforeAll(async () => {
  a = await createAccessApp({ clock: () => now });
  await loadFixture(a.service);
  // p5: a minor whose record nobody has opened yet.
  await seed({ resourceType: 'Patient', id: 'p5', name: [{ family: 'Petit', given: ['Lou'] }], gender: 'female', birthDate: '2020-05-05' });
  // A link recorded before the rule existed: a stranger "guardian" of the adult p2, and a court measure on p2.
  await seed({ ...guardianOf('p2', 'MTH'), id: 'rp-old' } as Resource);
  await seed({ ...guardianOf('p2', 'GUARD', { period: { start: '2026-01-01', end: '2027-06-30' } }), id: 'rp-court' } as Resource);
  tokens.p1 = await a.token({ kind: 'patient', id: 'p1' });
  tokens.p2 = await a.token({ kind: 'patient', id: 'p2' });
  tokens.rp1 = await a.token({ kind: 'guardian', id: 'rp1' });
  tokens.old = await a.token({ kind: 'guardian', id: 'rp-old' });
  tokens.court = await a.token({ kind: 'guardian', id: 'rp-court' });
  tokens.gp = await a.token({ kind: 'practitioner', id: RPPS.gp });
  tokens.spec = await a.token({ kind: 'practitioner', id: RPPS.spec });
  tokens.verifier = await a.token({ kind: 'practitioner', id: '10000000066', role: 'identity-verifier' });
  // p2 authorises spec: an ordinary authorised professional of an adult's record.
  const granted = await send('p2', 'post', '/fhir/Consent', { ...consent('x', 'p2', { type: 'permit', actor: [byRpps(RPPS.spec)] }), id: undefined });
  expect(granted.status).toBe(201);
}, 120_000);
afterAll(() => a.close());

const get = (who: string, path: string) => request(a.app).get(path).set('Authorization', `Bearer ${tokens[who]}`);
const send = (who: string, method: 'post' | 'put', path: string, body: object) =>
  request(a.app)[method](path).set('Authorization', `Bearer ${tokens[who]}`).set('Content-Type', J).send(body);

test('the reproduced attack: an authorised practitioner cannot make a stranger the guardian of an adult', async () => {
  expect((await get('spec', '/fhir/Patient/p2')).status).toBe(200); // he is authorised on p2
  const made = await send('spec', 'post', '/fhir/RelatedPerson', guardianOf('p2', 'GUARD'));
  expect(made.status).toBe(403);
  // Nor by rewriting an existing contact into a guardian.
  const contact = await send('spec', 'post', '/fhir/RelatedPerson', guardianOf('p2', 'FRND'));
  expect(contact.status).toBe(201);
  expect((await send('spec', 'put', `/fhir/RelatedPerson/${contact.body.id}`, { ...guardianOf('p2', 'FTH'), id: contact.body.id })).status).toBe(403);
  // A link to an adult made before the rule (or by an import) gives nothing: no record, no document, no write.
  expect((await get('old', '/fhir/Patient/p2')).status).toBe(404);
  expect((await get('old', '/fhir/DocumentReference')).body.total ?? 0).toBe(0);
  expect((await get('old', '/fhir/DocumentReference/e1')).status).toBe(404);
  // He does not see p2's record: refused as if it did not exist (hidden is absent).
  expect((await send('old', 'post', '/fhir/Consent', { ...consent('y', 'p2', { type: 'permit' }), id: undefined })).status).toBe(422);
});

test('nobody records a parent as guardian of an adult without a court measure (422, majeur)', async () => {
  for (const who of ['p2', 'verifier']) {
    const res = await send(who, 'post', '/fhir/RelatedPerson', guardianOf('p2', 'MTH'));
    expect(res.status).toBe(422);
    expect(res.body.issue[0].diagnostics).toMatch(/majeur/);
  }
});

test('a practitioner of a minor\'s open record cannot record a guardian either', async () => {
  expect((await get('spec', '/fhir/Patient/p1')).status).toBe(200);
  expect((await send('spec', 'post', '/fhir/RelatedPerson', guardianOf('p1', 'FTH'))).status).toBe(403);
});

test('the patient himself adds his parent, who then reads his record', async () => {
  const added = await send('p1', 'post', '/fhir/RelatedPerson', guardianOf('p1', 'FTH'));
  expect(added.status).toBe(201);
  tokens.father = await a.token({ kind: 'guardian', id: added.body.id });
  expect((await get('father', '/fhir/Patient/p1')).status).toBe(200);
  // An existing valid guardian of the same minor may record the other parent too.
  expect((await send('rp1', 'post', '/fhir/RelatedPerson', guardianOf('p1', 'PRN'))).status).toBe(201);
});

test('the practitioner opening a minor\'s record records the parent; nobody else, and once open, no longer', async () => {
  const created = await send('gp', 'post', '/fhir/Patient', {
    resourceType: 'Patient', identifier: [{ system: INS_NIR, value: withInsKey('2200575123458') }], name: [{ family: 'Petit', given: ['Lou'] }], gender: 'female', birthDate: '2020-05-05',
  });
  expect(created.status).toBe(201);
  const lou = created.body.id as string;
  // Another professional who learnt the id of a record not open yet may not add a parent to it (nor to one the server
  // created): it would give him, or anyone he names, the child's record once open. He does not see it: absent.
  for (const record of [lou, 'p5']) {
    const stranger = await send('spec', 'post', '/fhir/RelatedPerson', guardianOf(record, 'FTH'));
    expect(stranger.status).toBe(422);
    expect(stranger.body.issue[0].diagnostics).toBe(`A RelatedPerson must belong to one patient's record: Patient/${record} does not exist on this server`);
  }
  expect((await send('gp', 'post', '/fhir/RelatedPerson', guardianOf('p5', 'MTH'))).status).toBe(422); // he did not create p5
  const parent = await send('gp', 'post', '/fhir/RelatedPerson', guardianOf(lou, 'MTH'));
  expect(parent.status).toBe(201);
  expect((await send('gp', 'post', '/fhir/Consent', { ...consent('z', lou, { type: 'permit' }), id: undefined })).status).toBe(201);
  tokens.louparent = await a.token({ kind: 'guardian', id: parent.body.id });
  expect((await get('louparent', `/fhir/Patient/${lou}`)).status).toBe(200);
  // Once open, he is neither treating nor authorised there: he does not see that record, which answers as absent.
  expect((await send('gp', 'post', '/fhir/RelatedPerson', guardianOf(lou, 'FTH'))).status).toBe(422);
});

test('a practitioner opens a minor\'s record in one transaction: Patient, opening consent, then the parent', async () => {
  const child = 'urn:uuid:0b7e2a52-0000-4000-8000-00000000c001';
  const entry = (resource: object, fullUrl?: string) => ({ fullUrl, resource, request: { method: 'POST', url: (resource as { resourceType: string }).resourceType } });
  const bundle = {
    resourceType: 'Bundle',
    type: 'transaction',
    entry: [
      entry({ resourceType: 'Patient', identifier: [{ system: INS_NIR, value: withInsKey('2140575123456') }], name: [{ family: 'Roux', given: ['Léo'] }], gender: 'male', birthDate: '2014-05-05' }, child),
      entry({ ...consent('o', 'x', { type: 'permit' }), id: undefined, patient: { reference: child } }),
      entry({ ...guardianOf('x', 'FTH'), patient: { reference: child } }),
    ],
  };
  const res = await send('gp', 'post', '/fhir', bundle);
  expect(res.status).toBe(200);
  expect(res.body.entry.map((e: { response: { status: string } }) => e.response.status)).toEqual(['201 Created', '201 Created', '201 Created']);
  // The same professional adding a parent later, the record now open, is refused.
  const patientId = /Patient\/([^/]+)/.exec(res.body.entry[0].response.location as string)?.[1] ?? '';
  const later = await send('gp', 'post', '/fhir/RelatedPerson', guardianOf(patientId, 'MTH'));
  expect(later.status).toBe(422); // a record he does not see answers as absent
});

test('a guardian reads the minor\'s record the day before the 18th birthday and nothing from Paris midnight of it', async () => {
  // p1 was born 2015-04-02: adult on 2033-04-02 at 00:00 Paris time (CEST), 2033-04-01T22:00:00Z.
  now = new Date('2033-04-01T21:59:59Z');
  expect((await get('rp1', '/fhir/Patient/p1')).status).toBe(200);
  expect((await get('rp1', '/fhir/DocumentReference/d1')).status).toBe(200);
  now = new Date('2033-04-01T22:00:00Z');
  expect((await get('rp1', '/fhir/Patient/p1')).status).toBe(404);
  expect((await get('rp1', '/fhir/DocumentReference/d1')).status).toBe(404);
  expect((await get('rp1', '/fhir/DocumentReference')).body.total ?? 0).toBe(0);
  expect((await send('rp1', 'post', '/fhir/Consent', { ...consent('w', 'p1', { type: 'permit' }), id: undefined })).status).toBe(422); // the record he no longer sees answers as absent
  // The now adult patient alone decides: he can no longer be given a parent-guardian either.
  expect((await send('p1', 'post', '/fhir/RelatedPerson', guardianOf('p1', 'MTH'))).status).toBe(422);
  now = new Date('2026-12-06T12:00:00Z');
});

test('a court measure keeps a guardian\'s access to an adult until its end', async () => {
  now = new Date('2027-06-30T12:00:00Z');
  expect((await get('court', '/fhir/Patient/p2')).status).toBe(200);
  now = new Date('2027-07-01T00:00:01Z');
  expect((await get('court', '/fhir/Patient/p2')).status).toBe(404);
  now = new Date('2026-12-06T12:00:00Z');
  // The identity-verified procedure records a court measure for an adult; an ordinary professional does not.
  const measure = guardianOf('p2', 'GUARD', { period: { start: '2026-12-01', end: '2031-12-01' } });
  expect((await send('spec', 'post', '/fhir/RelatedPerson', measure)).status).toBe(403);
  const made = await send('verifier', 'post', '/fhir/RelatedPerson', measure);
  expect(made.status).toBe(201);
  tokens.tutor = await a.token({ kind: 'guardian', id: made.body.id });
  expect((await get('tutor', '/fhir/Patient/p2')).status).toBe(200);
});
