import { startPortalServer, type PortalServer } from './portal-harness';

// Issue 11, attack sweep 10 (portal): the portal builds its FHIR calls from ids the browser sends (form fields, the
// page's path). A dot segment is resolved by the URL parser before the call leaves: `Practitioner/.` became the
// Practitioner search, whose Bundle the portal took for the professional to authorise, and it stored an authorisation
// naming `Practitioner/undefined`. Any id that is not a FHIR id now answers as missing, and nothing is written.
// Likewise the `?ok=` key of a success message was looked up with Object's prototype: `?ok=constructor` showed
// "function Object() { [native code] }" as a success notice on a link anyone can send.

let s: PortalServer;
let cookie: string;
let helene: string;
const CSRF = 'test-csrf-token';

beforeAll(async () => {
  s = await startPortalServer();
  cookie = await s.sessionCookie('helene');
  helene = await s.token({ kind: 'patient', id: 'helene' });
}, 120_000);
afterAll(() => s?.close());

const consents = async (): Promise<string[]> =>
  ((await s.fhir(helene, 'GET', '/Consent?patient=helene&_count=100')).body.entry ?? []).map((e: { resource: { id: string; status: string } }) => `${e.resource.id}:${e.resource.status}`).sort();

test.each([
  ['/portal/access/permit', 'practitioner', '.'],
  ['/portal/access/permit', 'practitioner', '..'],
  ['/portal/access/deny', 'practitioner', '.'],
  ['/portal/access/withdraw', 'consent', '.'],
  ['/portal/access/withdraw', 'consent', '..'],
])('%s with %s "%s" answers as missing and writes nothing', async (path, field, id) => {
  const before = await consents();
  const res = await s.post(cookie, path, { csrf: CSRF, [field]: id });
  expect(res.status).toBe(404);
  expect(await consents()).toEqual(before);
});

test('a professional named by his real id is authorised (the comparison can fail)', async () => {
  const before = await consents();
  const res = await s.post(cookie, '/portal/access/permit', { csrf: CSRF, practitioner: 'spec' });
  expect(res.status).toBe(303);
  expect((await consents()).length).toBe(before.length + 1);
});

test.each(['constructor', 'toString', '__proto__'])('a success message key "%s" taken from Object\'s prototype shows no message', async (key) => {
  const res = await s.page(cookie, `/portal/?ok=${key}`);
  expect(res.status).toBe(200);
  expect(res.html).not.toMatch(/class="notice success"/);
});

test('a known success key shows its message (the comparison can fail)', async () => {
  const res = await s.page(cookie, '/portal/?ok=added');
  expect(res.html).toContain('L’information a été ajoutée à votre dossier.');
});
