import type { Resource } from '@medplum/fhirtypes';
import { SessionSealer, SESSION_COOKIE } from '../../../src/portal/session';
import { CHILD_LEA, SESSION_KEY, startPortalServer, type PortalServer } from './portal-harness';

// Issue 11's outside check against the portal's forms: every form acts with the session's own token, so an id of
// another record posted in a field answers as missing and writes nothing; a form without this session's CSRF token
// writes nothing; a guardian whose link has ended writes nothing in the child's record through the portal either.

let s: PortalServer;
let helene: string;
let lea: string;
const CSRF = 'test-csrf-token';

/** A document and an allergy of Léa's record (Hélène's daughter), and a father whose guardian link ended. */
const LEA_ROWS: Resource[] = [
  { resourceType: 'DocumentReference', id: 'lea-doc', status: 'current', subject: { reference: 'Patient/lea' }, type: { coding: [{ system: 'http://loinc.org', code: '11488-4' }] }, content: [{ attachment: { contentType: 'text/plain', data: Buffer.from('compte rendu').toString('base64') } }] },
  { resourceType: 'AllergyIntolerance', id: 'lea-allergy', patient: { reference: 'Patient/lea' }, code: { text: 'arachide' } } as Resource,
  {
    resourceType: 'RelatedPerson', id: 'lea-father', patient: { reference: 'Patient/lea' }, period: { start: '2016-06-01', end: '2020-01-01' },
    relationship: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-RoleCode', code: 'FTH' }] }], name: [{ given: ['Marc'], family: 'MARCHAL' }],
  } as Resource,
];

beforeAll(async () => {
  s = await startPortalServer();
  for (const r of [...CHILD_LEA, ...LEA_ROWS]) await s.server.service.repo.update(s.systemContext(), r);
  helene = await s.token({ kind: 'patient', id: 'helene' });
  lea = await s.token({ kind: 'patient', id: 'lea' });
}, 120_000);
afterAll(() => s?.close());

/** Léa's own view of her record: what a form posted by someone else must not have changed. */
async function leaRecord(): Promise<string> {
  const consents = await s.fhir(lea, 'GET', '/Consent?patient=lea&_count=100');
  const allergies = await s.fhir(lea, 'GET', '/AllergyIntolerance?patient=lea&_count=100');
  return JSON.stringify([consents.body.entry?.map((e: any) => [e.resource.id, e.resource.status]), allergies.body.entry?.map((e: any) => e.resource.id)]);
}
const heleneConsents = async () => (await s.fhir(helene, 'GET', '/Consent?patient=helene&_summary=count')).body.total;

test('another record’s ids posted in Hélène’s forms answer as missing and change nothing', async () => {
  const cookie = await s.sessionCookie('helene');
  const before = await leaRecord();
  const consentsBefore = await heleneConsents();
  expect((await s.post(cookie, '/portal/access/withdraw', { csrf: CSRF, consent: 'lea-open' })).status).toBe(404);
  expect((await s.post(cookie, '/portal/documents/lea-doc/mask', { csrf: CSRF })).status).toBe(404);
  // Unmasking searches the session's own consents only: nothing of Léa's is touched.
  await s.post(cookie, '/portal/documents/lea-doc/unmask', { csrf: CSRF });
  expect(await leaRecord()).toBe(before);
  expect(await heleneConsents()).toBe(consentsBefore);
});

test('a form without this session’s CSRF token writes nothing: missing, wrong, or another session’s', async () => {
  const cookie = await s.sessionCookie('helene');
  const other = await s.sessionCookie('helene', 'another-session-token');
  const consentsBefore = await heleneConsents();
  for (const [c, fields] of [[cookie, {}], [cookie, { csrf: 'forged' }], [other, { csrf: CSRF }]] as const) {
    const res = await s.post(c, '/portal/access/emergency', fields);
    expect(res.status).toBe(403);
    expect((await s.post(c, '/portal/add/allergy', { ...fields, text: 'pollen' })).status).toBe(403);
  }
  expect(await heleneConsents()).toBe(consentsBefore);
  expect((await s.fhir(helene, 'GET', '/AllergyIntolerance?patient=helene&_summary=count')).body.total).toBe(0);
});

test('a guardian whose link ended writes nothing in the child’s record through the portal', async () => {
  const accessToken = await s.token({ kind: 'guardian', id: 'lea-father' });
  const sealed = await new SessionSealer(SESSION_KEY).seal({ accessToken, expiresAt: Math.floor(Date.now() / 1000) + 3600, patient: 'lea', csrf: CSRF }, 3600);
  const cookie = `${SESSION_COOKIE}=${sealed}`;
  const before = await leaRecord();
  const allergy = await s.post(cookie, '/portal/add/allergy', { csrf: CSRF, text: 'pollen' });
  // The child's record is no longer his to see: the API answers as for a missing record (422), the page in French.
  expect(allergy.status).toBe(422);
  expect(allergy.html).toContain('Les informations envoyées ne peuvent pas être enregistrées.');
  expect((await s.post(cookie, '/portal/access/withdraw', { csrf: CSRF, consent: 'lea-open' })).status).toBe(404);
  expect((await s.post(cookie, '/portal/documents/lea-doc/mask', { csrf: CSRF })).status).toBe(404);
  expect((await s.post(cookie, '/portal/access/emergency', { csrf: CSRF })).status).toBe(422); // a Consent in a record he no longer sees
  expect(await leaRecord()).toBe(before);
});
