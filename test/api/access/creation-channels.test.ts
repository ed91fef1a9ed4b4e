import type { Resource } from '@medplum/fhirtypes';
import { startAuditServer, type AuditServer } from '../audit/server-harness';
import { SmtpReceiver } from '../../unit/notify/receivers';
import { byRef, consent, IDNAT, INS_NIR, RPPS } from './fixture';
import { withInsKey } from './ins-values';
import { Mailbox } from './mailbox';

// Issue 12, creation channels with activation: a record opened at an Assurance Maladie counter, and a record opened
// by a professional inside a transaction Bundle. The activation code travels to a real SMTP receiver; the patient
// activates his record with it and signs in.

const smtp = new SmtpReceiver();
const mail = new Mailbox(smtp);
let s: AuditServer;
const PASSWORD = 'correct horse battery';

const post = (path: string, body: object) => fetch(`${s.server.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

const newPatient = (ins: string, email: string, family: string): Resource => ({
  resourceType: 'Patient',
  identifier: [{ system: INS_NIR, value: ins }],
  name: [{ family, given: ['Test'] }],
  gender: 'male',
  birthDate: '1990-06-01',
  telecom: [{ system: 'email', value: email }],
});

/** Signs in with identifier and password, reading the code from the e-mail; answers the token response. */
async function signIn(identifier: string, email: string): Promise<{ status: number; patient?: string; access_token?: string }> {
  const seen = mail.count;
  const started = await post('/auth/login', { identifier, password: PASSWORD });
  expect(started.status).toBe(200);
  const { challenge } = (await started.json()) as { challenge: string };
  const code = /code de connexion au DMP est (\d{6})/.exec(await mail.mailTo(email, /code de connexion au DMP est \d{6}/, seen))![1];
  const token = await post('/auth/otp', { challenge, code });
  return { status: token.status, ...((await token.json()) as object) };
}

const activationCodeIn = (text: string): string => /code d’activation est (\w{4}-\w{4}-\w{4})/.exec(text)![1];

beforeAll(async () => {
  await smtp.start();
  s = await startAuditServer({ SMTP_URL: `smtp://127.0.0.1:${smtp.port}`, MAIL_FROM: 'DMP <no-reply@dmp.test>', NOTIFY_RETRY_BASE_MS: '200', NOTIFY_POLL_MS: '100' });
  const ctx = s.systemContext();
  await s.server.service.repo.update(ctx, { resourceType: 'Practitioner', id: 'gp', identifier: [{ system: IDNAT, value: `8${RPPS.gp}` }], name: [{ family: 'GENERALISTE' }] });
}, 120_000);

afterAll(async () => {
  await s?.close();
  await smtp.stop();
});

describe('a record opened at an Assurance Maladie counter', () => {
  const ins = withInsKey('1900675123456');
  const email = 'guichet@example.org';
  let am: string;
  let id: string;
  let code: string;

  beforeAll(async () => {
    am = await s.token({ kind: 'system', id: 'cnam', category: 'assurance-maladie' });
  });

  test('the Assurance Maladie creates the Patient with its INS and records the opening; the code is answered once to print', async () => {
    const seen = mail.count;
    const res = await fetch(`${s.server.fhirUrl}/Patient`, {
      method: 'POST',
      headers: { authorization: `Bearer ${am}`, 'content-type': 'application/fhir+json' },
      body: JSON.stringify(newPatient(ins, email, 'GUICHET')),
    });
    expect(res.status).toBe(201);
    expect(res.headers.get('cache-control')).toBe('no-store');
    code = res.headers.get('x-activation-code') as string;
    expect(code).toMatch(/^\w{4}-\w{4}-\w{4}$/);
    // The answer names the record by Location only: the Assurance Maladie never reads it (see the next tests).
    id = /\/Patient\/([^/]+)\/_history\/1$/.exec(res.headers.get('location') as string)![1];
    const opening = await s.fhir(am, 'POST', '/Consent', { ...consent('x', id, { type: 'permit' }), id: undefined });
    expect(opening.status).toBe(201);
    // The same code goes to the patient's e-mail, in French with the Paris date.
    const text = await mail.mailTo(email, /code d’activation/, seen);
    expect(activationCodeIn(text)).toBe(code);
    expect(text).toMatch(/Un dossier médical partagé \(DMP\) a été ouvert à votre nom le \d{1,2} \p{L}+ \d{4} à \d{2}:\d{2}/u);
  }, 120_000);

  test('the Assurance Maladie still reads nothing: not the Patient it created, nor its documents or consents', async () => {
    for (const path of [`/Patient/${id}`, `/Patient?identifier=${INS_NIR}|${ins}`, `/DocumentReference?patient=Patient/${id}`, `/Consent?patient=Patient/${id}`, `/Patient/${id}/$everything`]) {
      const res = await s.fhir(am, 'GET', path);
      expect({ path, status: res.status }).toEqual({ path, status: 403 });
      expect(res.body.resourceType).toBe('OperationOutcome');
    }
  });

  test('its creates answer no representation: an OperationOutcome and Location, nothing of the identity it sent', async () => {
    const other = withInsKey('1900675123499');
    const res = await s.fhir(am, 'POST', '/Patient', newPatient(other, 'autre-guichet@example.org', 'REPONSE'));
    expect(res.status).toBe(201);
    expect(res.body.resourceType).toBe('OperationOutcome');
    expect(res.body.issue[0].severity).toBe('information');
    const text = JSON.stringify(res.body);
    for (const trait of [other, 'REPONSE', 'autre-guichet@example.org', '1990-06-01']) expect(text).not.toContain(trait);
    // Prefer: return=minimal: no body at all; the Location still names the version written.
    const minimal = await fetch(`${s.server.fhirUrl}/Patient`, {
      method: 'POST',
      headers: { authorization: `Bearer ${am}`, 'content-type': 'application/fhir+json', prefer: 'return=minimal' },
      body: JSON.stringify(newPatient(withInsKey('1900675123498'), 'minimal@example.org', 'MINIMAL')),
    });
    expect(minimal.status).toBe(201);
    expect(await minimal.text()).toBe('');
    expect(minimal.headers.get('location')).toMatch(/\/Patient\/[^/]+\/_history\/1$/);
    // A conditional create naming an existing record answers no Patient either (never the matched one).
    const conditional = await s.fhir(am, 'POST', '/Patient', newPatient(ins, 'cond@example.org', 'COND'), { 'If-None-Exist': `identifier=${INS_NIR}|${ins}` });
    expect(conditional.body.resourceType).toBe('OperationOutcome');
    expect(JSON.stringify(conditional.body)).not.toContain(email);
    // Nor does a transaction Bundle's entry.
    const bundle = await s.fhir(am, 'POST', '/', {
      resourceType: 'Bundle', type: 'transaction',
      entry: [{ fullUrl: 'urn:uuid:5b0f3c1e-7a1d-4c8e-9f6a-1d2e3f4a5b6c', resource: newPatient(withInsKey('1900675123497'), 'lot-guichet@example.org', 'LOTGUICHET'), request: { method: 'POST', url: 'Patient' } }],
    });
    expect(bundle.status).toBe(200);
    expect(bundle.body.entry[0].response.status).toMatch(/^201/);
    expect(bundle.body.entry[0].response.location).toMatch(/^Patient\/[^/]+\/_history\/1$|\/Patient\/[^/]+\/_history\/1$/);
    expect(bundle.body.entry[0].resource?.resourceType ?? 'none').not.toBe('Patient');
    expect(JSON.stringify(bundle.body)).not.toContain('LOTGUICHET');
  });

  test('it records only the opening: no authorisation of a professional, no change of the Patient, no guardian', async () => {
    const permit = await s.fhir(am, 'POST', '/Consent', { ...consent('x', id, { type: 'permit', actor: [byRef('gp')] }), id: undefined });
    expect(permit.status).toBe(403);
    const reopen = await s.fhir(am, 'POST', '/Consent', { ...consent('x', id, { type: 'permit' }), id: undefined });
    expect(reopen.status).toBe(403); // the record was opened already: re-opening is the patient's
    const guardian = await s.fhir(am, 'POST', '/RelatedPerson', { resourceType: 'RelatedPerson', patient: { reference: `Patient/${id}` }, relationship: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-RoleCode', code: 'MTH' }] }] });
    expect(guardian.status).toBe(403);
    const put = await s.fhir(am, 'PUT', `/Patient/${id}`, { ...newPatient(ins, 'autre@example.org', 'GUICHET'), id });
    expect(put.status).toBe(403);
  });

  test('a second record for the same INS answers a neutral 409; a Patient without INS is refused with 422', async () => {
    const again = await s.fhir(am, 'POST', '/Patient', newPatient(ins, 'double@example.org', 'DOUBLE'));
    expect(again.status).toBe(409);
    expect(JSON.stringify(again.body)).not.toContain(id);
    const { identifier: _none, ...noIns } = newPatient(ins, 'sans-ins@example.org', 'SANSINS') as { identifier: unknown };
    expect((await s.fhir(am, 'POST', '/Patient', noIns)).status).toBe(422);
  });

  test('the patient activates his record with the code and signs in', async () => {
    expect((await post('/auth/activate', { patient: id, activation_code: code, identifier: 'paul.guichet', password: PASSWORD })).status).toBe(200);
    expect(await signIn('paul.guichet', email)).toMatchObject({ status: 200, patient: id });
  }, 120_000);
});

describe('a record opened by a professional inside a transaction Bundle', () => {
  test('the activation code goes by e-mail only, never in the Bundle response; the patient activates with it', async () => {
    const ins = withInsKey('2850375123457');
    const email = 'bundle@example.org';
    const gp = await s.token({ kind: 'practitioner', id: RPPS.gp });
    const seen = mail.count;
    const bundle = {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        { fullUrl: 'urn:uuid:7d2a1a8e-4a52-4bd6-9a4b-2f5a6f1e0c01', resource: { ...newPatient(ins, email, 'LOT'), gender: 'female' }, request: { method: 'POST', url: 'Patient' } },
        {
          resource: { ...consent('x', 'x', { type: 'permit' }), id: undefined, patient: { reference: 'urn:uuid:7d2a1a8e-4a52-4bd6-9a4b-2f5a6f1e0c01' } },
          request: { method: 'POST', url: 'Consent' },
        },
      ],
    };
    const res = await fetch(s.server.fhirUrl, { method: 'POST', headers: { authorization: `Bearer ${gp}`, 'content-type': 'application/fhir+json' }, body: JSON.stringify(bundle) });
    const text = await res.text();
    expect(res.status).toBe(200);
    expect(res.headers.get('x-activation-code')).toBeNull();
    const answer = JSON.parse(text) as { entry: { response: { status: string; location: string } }[] };
    expect(answer.entry.map((e) => e.response.status)).toEqual(['201 Created', '201 Created']);
    const id = /Patient\/([^/]+)/.exec(answer.entry[0].response.location)![1];
    const message = await mail.mailTo(email, /code d’activation/, seen);
    const code = activationCodeIn(message);
    // Nowhere in the Bundle answer, not even as part of a header-like field.
    expect(text).not.toContain(code);
    expect(text).not.toContain(code.replace(/-/g, ''));
    expect((await post('/auth/activate', { patient: id, activation_code: code, identifier: 'lea.lot', password: PASSWORD })).status).toBe(200);
    expect(await signIn('lea.lot', email)).toMatchObject({ status: 200, patient: id });
  }, 120_000);
});

