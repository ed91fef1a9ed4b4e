import type { Resource } from '@medplum/fhirtypes';
import { setPatientCredential } from '../../../src/auth/patient-login';
import { buildConsent } from '../../support/consent';
import { waitFor } from '../audit/server-harness';
import { SmtpReceiver } from '../../unit/notify/receivers';
import { Browser, formOf } from '../smart/launch-driver';
import { MARCHAL_INS, startPortalServer, textOf, type PortalServer } from './portal-harness';

// Issue 15: "a guardian switches between his own and his child's record". A SMART token names one record, so the
// portal changes record through a new sign-in on which the authorization server offers the person his own record and
// each child's whose guardian link names him. Driven over HTTP with a cookie jar, the code read from a real SMTP receiver.

const smtp = new SmtpReceiver();
let s: PortalServer;
const PASSWORD = 'Vol de nuit au-dessus des Andes 1931';

/** Léa, Hélène's daughter (a minor; test INS, key 25 = 97 − 2160675123456 mod 97), whose guardian link names Hélène's INS. */
const CHILD: Resource[] = [
  { resourceType: 'Patient', id: 'lea', identifier: [{ system: 'urn:oid:1.2.250.1.213.1.4.10', value: '216067512345625' }], name: [{ given: ['Léa'], family: 'MARCHAL' }], gender: 'female', birthDate: '2016-06-01' } as Resource,
  buildConsent('lea-open', 'lea', { type: 'permit' }),
  {
    resourceType: 'RelatedPerson', id: 'lea-mother', patient: { reference: 'Patient/lea' }, identifier: [MARCHAL_INS],
    relationship: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-RoleCode', code: 'MTH' }] }], name: [{ given: ['Hélène'], family: 'MARCHAL' }],
  } as Resource,
];

beforeAll(async () => {
  await smtp.start();
  s = await startPortalServer({ SMTP_URL: `smtp://127.0.0.1:${smtp.port}`, NOTIFY_POLL_MS: '100' });
  for (const r of CHILD) await s.server.service.repo.update(s.systemContext(), r);
  await setPatientCredential(s.testDb.db, { login: 'helene.marchal', patientId: 'helene', password: PASSWORD, scrypt: { N: 1024, r: 8, p: 1 } });
}, 180_000);
afterAll(async () => {
  await s?.close();
  await smtp.stop();
});

/** Signs in to the portal from /portal/login, choosing the record whose label contains `record`; answers the jar. */
async function signIn(browser: Browser, record: string): Promise<string[]> {
  let res = await browser.get(`${s.server.url}/portal/login?next=/portal/`);
  res = await browser.get(new URL(res.headers.get('location') as string, s.server.url).toString());
  let form = formOf(await res.text());
  const mails = smtp.received.length;
  res = await browser.post(s.server.url + form.action, { ...form.fields, identifier: 'helene.marchal', password: PASSWORD }, { origin: s.server.url });
  form = formOf(await res.text());
  await waitFor(() => smtp.received.length > mails, 30_000, 'the sign-in code');
  const code = /\b(\d{6})\b/.exec(Buffer.from(smtp.received[smtp.received.length - 1].data.replace(/=\r?\n/g, ''), 'latin1').toString('utf8'))?.[1] as string;
  res = await browser.post(s.server.url + form.action, { ...form.fields, code }, { origin: s.server.url });
  let html = await res.text();
  form = formOf(html);
  expect(form.action).toBe('/auth/authorize/record');
  const options = [...html.matchAll(/value="([^"]+)"[^>]*> <label[^>]*>([^<]+)</g)].map((m) => ({ value: m[1], label: m[2] }));
  const chosen = options.find((o) => o.label.includes(record));
  res = await browser.post(s.server.url + form.action, { ...form.fields, record: chosen?.value ?? 'none' }, { origin: s.server.url });
  html = await res.text();
  form = formOf(html);
  const scopes = [...html.matchAll(/name="scope" value="([^"]+)" checked/g)].map((m) => m[1].replace(/&#39;/g, "'"));
  res = await browser.post(s.server.url + form.action, { ...form.fields, scope: scopes, decision: 'allow' }, { origin: s.server.url });
  res = await browser.get(res.headers.get('location') as string); // the portal's callback
  expect(res.headers.get('location')).toBe('/portal/');
  return options.map((o) => o.label);
}

test('a mother signs in to her own record, then changes to her daughter\'s', async () => {
  const browser = new Browser();
  const offered = await signIn(browser, 'Mon dossier');
  expect(offered).toEqual(['Mon dossier (HÉLÈNE CLAIRE MARCHAL)', expect.stringContaining('Léa MARCHAL')]);
  let page = await browser.get(`${s.server.url}/portal/`);
  expect(textOf(await page.text())).toContain('Dossier de HÉLÈNE CLAIRE MARCHAL');

  const html = await (await browser.get(`${s.server.url}/portal/settings`)).text();
  const csrf = /name="csrf" value="([^"]+)"/.exec(html)?.[1] as string;
  const switched = await browser.post(`${s.server.url}/portal/switch`, { csrf });
  expect(switched.headers.get('location')).toBe('/portal/login?next=/portal/');
  await signIn(browser, 'Léa');
  page = await browser.get(`${s.server.url}/portal/`);
  const text = textOf(await page.text());
  expect(text).toContain('Dossier de Léa MARCHAL');
  expect(text).toContain('Synthèse du dossier de Léa MARCHAL');
});
