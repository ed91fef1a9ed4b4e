import type { MintOptions } from '../../../src/auth/mint-token';
import { IDNAT, RPPS } from './fixture';
import { useFixtureApp } from './fixture-app';

// Issue 11, attack 3: consents, Patient.generalPractitioner and document authors name professionals by directory
// reference, so editing a directory entry must not hand over someone's access. The tests run in order on one
// record set (p1: treating physician Practitioner/gp, masked document d2 by `author`, Practitioner/blocked blocked).

const ATTACKER = '10000000077';
const WHO: Record<string, MintOptions> = {
  attacker: { kind: 'practitioner', id: ATTACKER },
  gp: { kind: 'practitioner', id: RPPS.gp },
  blocked: { kind: 'practitioner', id: RPPS.blocked },
  feeder: { kind: 'system', id: 'lab-feeder' },
  patient: { kind: 'patient', id: 'p1' },
  admin: { kind: 'practitioner', id: '10000000088', role: 'directory-admin' },
  'admin system': { kind: 'system', id: 'annuaire', role: 'directory-admin' },
};
const { get, send } = useFixtureApp(WHO);
const idNat = (rpps: string) => ({ system: IDNAT, value: `8${rpps}` });
const entry = (id: string, ...rpps: string[]) => ({ resourceType: 'Practitioner', id, identifier: rpps.map(idNat), name: [{ family: id }] });

/** What the attacker would gain: the masked document, the treating physician's view of the record. */
async function expectNoAccessToP1(who: string): Promise<void> {
  expect((await get(who, '/fhir/DocumentReference/d2')).status).toBe(404);
  expect((await get(who, '/fhir/DocumentReference/d1')).status).toBe(404);
  const everything = await get(who, '/fhir/Patient/p1/$everything');
  expect(everything.status).toBe(404); // the record is hidden from him: absent, like a missing one
}

test('a practitioner cannot add his own RPPS to the treating physician\'s directory entry (PUT 403) and gains nothing', async () => {
  await expectNoAccessToP1('attacker');
  const res = await send('attacker', 'put', '/fhir/Practitioner/gp', entry('gp', RPPS.gp, ATTACKER));
  expect(res.status).toBe(403);
  expect(res.body.issue[0].diagnostics).toMatch(/Directory entries are maintained by the document import and directory administrators/);
  await expectNoAccessToP1('attacker');
});

test('a feeder cannot add a practitioner\'s RPPS to a document author\'s entry, nor delete it', async () => {
  expect((await send('feeder', 'put', '/fhir/Practitioner/author', entry('author', RPPS.author, ATTACKER))).status).toBe(403);
  expect((await send('feeder', 'delete', '/fhir/Practitioner/author')).status).toBe(403);
  expect((await send('attacker', 'put', '/fhir/Practitioner/author', entry('author', RPPS.author, ATTACKER))).status).toBe(403);
  expect((await get('attacker', '/fhir/DocumentReference/d2')).status).toBe(404);
});

test('a practitioner adds an entry once per national identifier: an identifier already in the directory is a 409 naming its entry, and no entry he adds gives him another\'s access', async () => {
  // Mixing his identifier with another person's: one entry names one person (422, directory-one-person.test.ts).
  expect((await send('attacker', 'post', '/fhir/Practitioner', { ...entry('x', RPPS.gp, ATTACKER), id: undefined })).status).toBe(422);
  expect((await send('attacker', 'post', '/fhir/Practitioner', { ...entry('x', RPPS.gp), id: undefined })).status).toBe(409);
  // A colleague's entry resolves to nobody but its identifiers' holder (all of an entry's identifiers must be the
  // token's), so it grants him nothing; one mixing a colleague's identifier with his own is refused (one person).
  expect((await send('attacker', 'post', '/fhir/Practitioner', { ...entry('x', '10000000123'), id: undefined })).status).toBe(201);
  expect((await send('attacker', 'post', '/fhir/Practitioner', { ...entry('x', '10000000124', ATTACKER), id: undefined })).status).toBe(422);
  await expectNoAccessToP1('attacker');
  const again = await send('attacker', 'post', '/fhir/Practitioner', { ...entry('x', '10000000123'), id: undefined });
  expect(again.status).toBe(409);
  expect(again.body.issue[0].diagnostics).toMatch(/Practitioner\//);
  await expectNoAccessToP1('attacker');
});

test('patients never write the directory', async () => {
  expect((await send('patient', 'post', '/fhir/Organization', { resourceType: 'Organization', identifier: [{ system: 'urn:oid:1.2.250.1.71.4.2.2', value: '1750803447' }] })).status).toBe(403);
  expect((await send('patient', 'put', '/fhir/Practitioner/gp', entry('gp', RPPS.gp))).status).toBe(403);
});

test('a blocked practitioner cannot regain access by editing his entry or the treating physician\'s', async () => {
  expect((await get('blocked', '/fhir/DocumentReference/d1')).status).toBe(404);
  // Dropping his RPPS from the entry the patient blocked, or joining the treating physician's entry: both refused.
  expect((await send('blocked', 'put', '/fhir/Practitioner/blocked', entry('blocked', '10000000099'))).status).toBe(403);
  expect((await send('blocked', 'put', '/fhir/Practitioner/gp', entry('gp', RPPS.gp, RPPS.blocked))).status).toBe(403);
  expect((await send('blocked', 'post', '/fhir/Practitioner', { ...entry('x', RPPS.gp, RPPS.blocked), id: undefined })).status).toBe(422); // two people
  expect((await send('blocked', 'post', '/fhir/Practitioner', { ...entry('x', RPPS.blocked), id: undefined })).status).toBe(409);
  expect((await get('blocked', '/fhir/DocumentReference/d1')).status).toBe(404);
  await expectNoAccessToP1('blocked');
});

test('even when a directory administrator puts a second person\'s RPPS on an entry, that entry names nobody', async () => {
  expect((await get('gp', '/fhir/DocumentReference/d2')).status).toBe(200);
  const mixed = await send('admin', 'put', '/fhir/Practitioner/gp', entry('gp', RPPS.gp, ATTACKER));
  expect(mixed.status).toBe(200);
  await expectNoAccessToP1('attacker');
  const blockedToo = await send('admin', 'put', '/fhir/Practitioner/author', entry('author', RPPS.author, RPPS.blocked));
  expect(blockedToo.status).toBe(200);
  expect((await get('blocked', '/fhir/DocumentReference/d2')).status).toBe(404);
  // The real physician loses the entry's key too until it is corrected: an ambiguous entry grants nothing.
  expect((await get('gp', '/fhir/DocumentReference/d2')).status).toBe(404);
});

test('a directory administrator (practitioner or system token) fixes a directory entry', async () => {
  expect((await send('admin', 'put', '/fhir/Practitioner/gp', entry('gp', RPPS.gp))).status).toBe(200);
  expect((await send('admin system', 'put', '/fhir/Practitioner/author', entry('author', RPPS.author))).status).toBe(200);
  expect((await get('gp', '/fhir/DocumentReference/d2')).status).toBe(200);
  expect((await get('attacker', '/fhir/DocumentReference/d2')).status).toBe(404);
});
