import type { Resource } from '@medplum/fhirtypes';
import { setPatientCredential } from '../../../src/auth/patient-login';
import { INS_NIR, systemContext } from '../access/fixture';
import { withInsKey } from '../access/ins-values';
import { authorizeUrl, Browser, formOf, newVerifier } from './launch-driver';
import { APP, FAST, PASSWORD, startSmartApp, type SmartApp } from './smart-app';

// Issue 12 on the SMART sign-in page: the same rule as POST /auth/login. Lou, 18 since yesterday, her record's e-mail her
// mother's: after her password the page tells her to go to an Assurance Maladie counter and no code is sent; once the
// counter recorded her own e-mail, the code goes there.

const MUM = 'maman.lou@example.org';
const NOW = Date.parse('2028-03-16T09:00:00Z');
let s: SmartApp;

beforeAll(async () => {
  s = await startSmartApp(0, {}, { clock: () => new Date(NOW) });
  const fixtures: Resource[] = [
    { resourceType: 'Patient', id: 'lou', identifier: [{ system: INS_NIR, value: withInsKey('2100375123466') }], name: [{ use: 'official', family: 'MARTIN', given: ['Lou'] }], gender: 'female', birthDate: '2010-03-15', telecom: [{ system: 'email', value: MUM }] },
    { resourceType: 'RelatedPerson', id: 'mum-lou', active: true, patient: { reference: 'Patient/lou' }, relationship: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-RoleCode', code: 'MTH' }] }], telecom: [{ system: 'email', value: MUM }] } as Resource,
  ];
  for (const r of fixtures) await s.a.service.repo.update(systemContext(), r);
  await setPatientCredential(s.a.testDb.db, { login: 'lou.petit', patientId: 'lou', password: PASSWORD, now: new Date(NOW), scrypt: FAST });
}, 120_000);
afterAll(() => s?.close());

async function passwordStep(): Promise<{ status: number; html: string }> {
  const browser = new Browser();
  const url = authorizeUrl(`${s.url}/auth/authorize`, { ...APP, scope: 'openid launch/patient patient/*.rs', aud: s.fhirBase, state: 'st', verifier: newVerifier(), params: {} });
  const form = formOf(await (await browser.get(url)).text());
  const res = await browser.post(s.url + form.action, { ...form.fields, identifier: 'lou.petit', password: PASSWORD });
  return { status: res.status, html: await res.text() };
}

test('after her password, the sign-in page sends no code to her mother and tells her to go to a counter', async () => {
  const sent = s.codes.length;
  const page = await passwordStep();
  expect(page.status).toBe(422);
  expect(page.html).toMatch(/Rendez-vous à un guichet de l(’|&#39;|&rsquo;)Assurance Maladie/);
  expect(s.codes.length).toBe(sent);
});

test('once the counter recorded her own e-mail, the sign-in page sends her code there', async () => {
  const am = await s.a.token({ kind: 'system', id: 'cnam', category: 'assurance-maladie' });
  const res = await fetch(`${s.fhirBase}/Patient/lou/$issue-activation`, {
    method: 'POST', headers: { authorization: `Bearer ${am}`, 'content-type': 'application/fhir+json' },
    body: JSON.stringify({ resourceType: 'Parameters', parameter: [{ name: 'email', valueString: 'lou@example.org' }] }),
  });
  expect(res.status).toBe(200);
  const page = await passwordStep();
  expect(page.status).toBe(200);
  expect(s.codes[s.codes.length - 1]).toMatchObject({ patientId: 'lou', to: { channel: 'email', address: 'lou@example.org' } });
});
