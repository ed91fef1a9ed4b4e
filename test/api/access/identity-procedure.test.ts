import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AuditEvent, Bundle } from '@medplum/fhirtypes';
import { type AuditServer, startAuditServer } from '../audit/server-harness';
import { FIXTURE, INS_NIR, P1_INS, P2_INS, RPPS } from './fixture';
import { withInsKey, withWrongKey } from './ins-values';

// Issue 12: identity traits changed by a plain update (a patient took another person's INS and received her lab
// report); the identity procedure; the INS control key at every entry point, production composition.

let s: AuditServer;
const tokens: Record<string, string> = {};
const FIXTURES = join(__dirname, '../../../fixtures');
/** The lab report of p1 (its test INS under the production NIR OID, as p1 carries it). */
const LAB_REPORT = readFileSync(join(FIXTURES, 'cda/lab-report-two-results.xml'), 'utf8').replace('root="1.2.250.1.213.1.4.10" extension="279035121518989"', 'root="1.2.250.1.213.1.4.8" extension="279035121518989"')
  // p1's identity (MARTIN, born 2015-04-02): a document is filed only in the record its identity agrees with.
  .replace('<family qualifier="BR">PAT-TROIS</family>', '<family qualifier="BR">MARTIN</family>')
  .replace('<birthTime value="19790328"/>', '<birthTime value="20150402"/>');
const P1_WRONG = withWrongKey(P1_INS.slice(0, 13));
const NEW_INS = withInsKey('2790351215190');

beforeAll(async () => {
  s = await startAuditServer();
  for (const resource of FIXTURE) await s.server.service.repo.update(s.systemContext(), resource);
  tokens.gp = await s.token({ kind: 'practitioner', id: RPPS.gp });
  tokens.spec = await s.token({ kind: 'practitioner', id: RPPS.spec });
  tokens.verifier = await s.token({ kind: 'practitioner', id: '10000000088', role: 'identity-verifier' });
  tokens.am = await s.token({ kind: 'system', id: 'cnam', category: 'assurance-maladie' });
  tokens.p1 = await s.token({ kind: 'patient', id: 'p1' });
  tokens.p2 = await s.token({ kind: 'patient', id: 'p2' });
}, 120_000);
afterAll(() => s.close());

async function importCda(token: string, xml: string): Promise<{ status: number; body: any }> {
  const res = await fetch(`${s.server.fhirUrl}/DocumentReference/$import`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/hl7-cda+xml', accept: 'application/fhir+json' }, body: xml });
  return { status: res.status, body: await res.json() };
}
const read = async (id: string) => (await s.fhir(tokens.p1, 'GET', `/Patient/${id}`)).body;
const params = (...parameter: object[]) => ({ resourceType: 'Parameters', parameter });
const correct = (token: string, id: string, ...parameter: object[]) => s.fhir(token, 'POST', `/Patient/${id}/$update-identity`, params(...parameter));
const reason = { name: 'reason', valueString: 'Pièce d\'identité vérifiée au guichet' };

describe('identity traits change only through the identity procedure', () => {
  test('a patient adding another person\'s INS to his own record gets 403, and her lab report still goes to her record', async () => {
    const p2 = (await s.fhir(tokens.p2, 'GET', '/Patient/p2')).body;
    const res = await s.fhir(tokens.p2, 'PUT', '/Patient/p2', { ...p2, identifier: [...p2.identifier, { system: INS_NIR, value: P1_INS }] });
    expect(res.status).toBe(403);
    expect(res.body.issue[0].diagnostics).toContain('$update-identity');
    const imported = await importCda(tokens.gp, LAB_REPORT);
    expect(imported.status).toBe(201);
    const doc = imported.body.entry.map((e: any) => e.resource).find((r: any) => r?.resourceType === 'DocumentReference');
    expect(doc.subject.reference).toBe('Patient/p1');
  });

  test('an authorised practitioner swapping the INS of a record gets 403; so does the patient changing his birth date', async () => {
    const p1 = await read('p1');
    const swap = await s.fhir(tokens.spec, 'PUT', '/Patient/p1', { ...p1, identifier: [{ system: INS_NIR, value: NEW_INS }] });
    expect(swap.status).toBe(403);
    const born = await s.fhir(tokens.p1, 'PUT', '/Patient/p1', { ...p1, birthDate: '2015-04-03' });
    expect(born.status).toBe(403);
    expect(born.body.issue[0].diagnostics).toMatch(/birthDate/);
    const patch = await s.fhir(tokens.p1, 'PATCH', '/Patient/p1', [{ op: 'replace', path: '/gender', value: 'male' }], { 'content-type': 'application/json-patch+json' });
    expect(patch.status).toBe(403);
    const contact = await s.fhir(tokens.p1, 'PUT', '/Patient/p1', { ...p1, name: [...p1.name, { use: 'nickname', text: 'Mimi' }] });
    expect(contact.status).toBe(200);
  });

  test('$update-identity is refused to a professional without the identity-verifier role and to the patient', async () => {
    expect((await correct(tokens.spec, 'p1', { name: 'birthDate', valueDate: '2015-04-03' }, reason)).status).toBe(403);
    expect((await correct(tokens.p1, 'p1', { name: 'birthDate', valueDate: '2015-04-03' }, reason)).status).toBe(403);
  });

  test('$update-identity refuses an INS with a wrong control key (422), an INS another record holds (409) and a missing reason (400)', async () => {
    const wrong = await correct(tokens.verifier, 'p1', { name: 'identifier', valueIdentifier: { system: INS_NIR, value: P1_WRONG } }, reason);
    expect(wrong.status).toBe(422);
    expect(wrong.body.issue[0].diagnostics).toContain(P1_WRONG);
    const taken = await correct(tokens.verifier, 'p1', { name: 'identifier', valueIdentifier: { system: INS_NIR, value: P2_INS } }, reason);
    expect(taken.status).toBe(409);
    expect(JSON.stringify(taken.body)).not.toContain('p2');
    expect((await correct(tokens.verifier, 'p1', { name: 'birthDate', valueDate: '2015-04-03' })).status).toBe(400);
    expect((await read('p1')).identifier).toEqual([{ system: INS_NIR, value: P1_INS }]);
  });

  test('an identity verifier corrects the INS: new INS stored, audited as an identity correction, notified in French', async () => {
    const res = await correct(tokens.verifier, 'p1', { name: 'identifier', valueIdentifier: { system: INS_NIR, value: NEW_INS } }, reason);
    expect(res.status).toBe(200);
    expect(res.body.resourceType).toBe('OperationOutcome');
    expect((await read('p1')).identifier).toEqual([{ system: INS_NIR, value: NEW_INS }]);
    const trail = await s.fhir(tokens.p1, 'GET', '/AuditEvent?patient=p1&_count=200');
    const events = trail.body.entry.map((e: { resource: AuditEvent }) => e.resource) as AuditEvent[];
    const correction = events.find((e) => e.subtype?.some((c) => c.code === 'identity-correction'));
    expect(correction).toBeDefined();
    const details = correction?.entity?.find((e) => e.what?.reference === 'Patient/p1')?.detail ?? [];
    expect(details).toEqual(expect.arrayContaining([
      { type: 'previous-ins', valueString: `${INS_NIR}|${P1_INS}` },
      { type: 'new-ins', valueString: `${INS_NIR}|${NEW_INS}` },
    ]));
    const { rows } = await s.testDb.db.query<{ body: string }>(`SELECT body FROM notify_outbox WHERE kind = 'identity-corrected' AND patient_id = 'p1'`);
    expect(rows.length).toBeGreaterThan(0);
    expect(rows[0].body).toMatch(/L'identité de votre dossier médical partagé \(DMP\) a été corrigée le \d+ \S+ \d{4} à \d{2}:\d{2} par un professionnel habilité/);
    // The old INS is free again; the new one is taken.
    const again = await s.fhir(tokens.gp, 'POST', '/Patient', { resourceType: 'Patient', identifier: [{ system: INS_NIR, value: NEW_INS }], name: [{ family: 'Martin' }], gender: 'female', birthDate: '2015-04-02' });
    expect(again.status).toBe(409);
  });

  test('the Assurance Maladie corrects a birth date without being able to read the record', async () => {
    const res = await correct(tokens.am, 'p1', { name: 'birthDate', valueDate: '2015-04-03' }, reason);
    expect(res.status).toBe(200);
    expect(JSON.stringify(res.body)).not.toContain('Martin');
    expect((await read('p1')).birthDate).toBe('2015-04-03');
    expect((await s.fhir(tokens.am, 'GET', '/Patient/p1')).status).toBe(403);
    const { rows } = await s.testDb.db.query<{ body: string }>(`SELECT body FROM notify_outbox WHERE kind = 'identity-corrected' AND body LIKE '%Assurance Maladie%'`);
    expect(rows.length).toBeGreaterThan(0);
  });
});

describe('local identifiers (a hospital\'s IPP) are corrected by the identity procedure too', () => {
  const IPP_SYSTEM = 'urn:oid:1.2.250.1.999.9';
  const local = (value?: string, system = IPP_SYSTEM) => ({ name: 'localIdentifier', valueIdentifier: value ? { system, value } : { system } });
  /** The record's identifiers of the IPP system, as its patient reads them. */
  const localsOf = async (id: 'p1' | 'p2') =>
    (((await s.fhir(tokens[id], 'GET', `/Patient/${id}`)).body.identifier ?? []) as { system: string; value: string }[]).filter((i) => i.system === IPP_SYSTEM);

  test('a plain update of one is refused (403) and points to the procedure, which sets, replaces and removes it, audited', async () => {
    const p1 = await read('p1');
    const plain = await s.fhir(tokens.p1, 'PUT', '/Patient/p1', { ...p1, identifier: [...p1.identifier, { system: IPP_SYSTEM, value: 'IPP-1' }] });
    expect(plain.status).toBe(403);
    expect(plain.body.issue[0].diagnostics).toContain('$update-identity');
    const set = await correct(tokens.verifier, 'p1', local('IPP-1'), reason);
    expect([set.status, set.body.issue[0].diagnostics]).toEqual([200, expect.stringContaining('identifier (other than the INS)')]);
    expect(await localsOf('p1')).toEqual([{ system: IPP_SYSTEM, value: 'IPP-1' }]);
    // The INS is kept whatever the local identifiers do.
    expect((await read('p1')).identifier).toContainEqual({ system: INS_NIR, value: NEW_INS });
    expect((await correct(tokens.am, 'p1', local('IPP-2'), reason)).status).toBe(200);
    expect(await localsOf('p1')).toEqual([{ system: IPP_SYSTEM, value: 'IPP-2' }]);
    expect((await correct(tokens.verifier, 'p1', local(), reason)).status).toBe(200);
    expect(await localsOf('p1')).toEqual([]);
    const trail = await s.fhir(tokens.p1, 'GET', '/AuditEvent?patient=p1&_count=200');
    const corrections = (trail.body.entry as { resource: AuditEvent }[]).filter((e) => e.resource.subtype?.some((c) => c.code === 'identity-correction'));
    expect(corrections.length).toBeGreaterThanOrEqual(4);
  });

  test('one another record carries is refused (409) without naming that record; an INS given as a local identifier, 400; the patient, 403', async () => {
    expect((await correct(tokens.verifier, 'p2', local('IPP-22'), reason)).status).toBe(200);
    const taken = await correct(tokens.verifier, 'p1', local('IPP-22'), reason);
    expect(taken.status).toBe(409);
    expect(JSON.stringify(taken.body)).not.toContain('p2');
    expect(await localsOf('p1')).toEqual([]);
    expect((await correct(tokens.verifier, 'p1', local(P1_INS, INS_NIR), reason)).status).toBe(400);
    expect((await correct(tokens.p1, 'p1', local('IPP-3'), reason)).status).toBe(403);
    expect((await correct(tokens.spec, 'p1', local('IPP-3'), reason)).status).toBe(403);
    expect(await localsOf('p1')).toEqual([]);
  });

  test('two corrections giving one identifier to two records at once: one is done, the other 409', async () => {
    const answers = await Promise.all([correct(tokens.verifier, 'p1', local('IPP-99'), reason), correct(tokens.am, 'p2', local('IPP-99'), reason)]);
    expect(answers.map((a) => a.status).sort()).toEqual([200, 409]);
    expect([...(await localsOf('p1')), ...(await localsOf('p2'))].filter((i) => i.value === 'IPP-99')).toHaveLength(1);
  });
});

describe('the INS control key is checked wherever an INS enters', () => {
  const bundleWith = (ins: string, containedIns = ins): Bundle => {
    const text = readFileSync(join(FIXTURES, 'pdsm/iti65-submission.json'), 'utf8');
    const bundle = JSON.parse(text.replaceAll('Patient?identifier=urn:oid:1.2.250.1.213.1.4.8|180057512345627', `Patient?identifier=${INS_NIR}|${ins}`).replaceAll('180057512345627', containedIns)) as Bundle;
    return bundle;
  };
  const p3Ins = '190012100100102';
  const p3Wrong = withWrongKey(p3Ins.slice(0, 13));

  test('a Patient created with a wrong key is refused (422), with the right key created', async () => {
    const patient = (value: string) => ({ resourceType: 'Patient', identifier: [{ system: INS_NIR, value }], name: [{ family: 'Nouveau' }], gender: 'male', birthDate: '1990-01-01' });
    const wrong = await s.fhir(tokens.gp, 'POST', '/Patient', patient(withWrongKey('1900175123456')));
    expect(wrong.status).toBe(422);
    expect((await s.fhir(tokens.gp, 'POST', '/Patient', patient(withInsKey('1900175123456')))).status).toBe(201);
  });

  test('a CDA import with a wrong key is refused with 422 naming the INS and the document element', async () => {
    const res = await importCda(tokens.gp, LAB_REPORT.replace('extension="279035121518989"', `extension="${P1_WRONG}"`));
    expect(res.status).toBe(422);
    expect(res.body.issue[0].diagnostics).toContain(P1_WRONG);
    expect(res.body.issue[0].expression[0]).toMatch(/recordTarget\/patientRole\/id/);
  });

  test('an ITI-65 bundle whose conditional patient reference has a wrong key is refused with 422 naming it', async () => {
    const res = await s.fhir(tokens.spec, 'POST', '', bundleWith(p3Wrong, p3Ins));
    expect(res.status).toBe(422);
    expect(res.body.issue[0].diagnostics).toContain(p3Wrong);
    expect(res.body.issue[0].expression[0]).toMatch(/subject\.reference/);
  });

  test('an ITI-65 bundle whose contained sourcePatientInfo has a wrong key is refused with 422 naming it', async () => {
    const res = await s.fhir(tokens.spec, 'POST', '', bundleWith(p3Ins, p3Wrong));
    expect(res.status).toBe(422);
    expect(res.body.issue[0].expression[0]).toMatch(/contained\[0\]\.identifier\[0\]\.value/);
  });

  test('the same ITI-65 bundle with right keys is accepted, the document filed in the record of that INS', async () => {
    const ins = (await read('p1')).identifier[0].value as string;
    const res = await s.fhir(tokens.gp, 'POST', '', bundleWith(ins));
    expect(res.status).toBe(200);
    const docRef = (res.body.entry[1].response.location as string).split('/_history/')[0].split('/').slice(-2).join('/');
    const doc = await s.fhir(tokens.gp, 'GET', `/${docRef}`);
    expect(doc.body.subject.reference).toBe('Patient/p1');
  });

  test('a transaction entry referring to a patient by identifier with a wrong key is refused with 422', async () => {
    const bundle = { resourceType: 'Bundle', type: 'transaction', entry: [{ request: { method: 'POST', url: 'AllergyIntolerance' }, resource: { resourceType: 'AllergyIntolerance', patient: { reference: `Patient?identifier=${INS_NIR}|${P2_INS.slice(0, 13)}00` }, code: { text: 'latex' } } }] };
    const res = await s.fhir(tokens.spec, 'POST', '', bundle);
    expect(res.status).toBe(422);
    expect(res.body.issue[0].expression[0]).toMatch(/patient\.reference/);
    const right = { ...bundle, entry: [{ ...bundle.entry[0], resource: { ...bundle.entry[0].resource, patient: { reference: `Patient?identifier=${INS_NIR}|${P2_INS}` } } }] };
    expect((await s.fhir(tokens.p2, 'POST', '', right)).status).toBe(200);
  });

  test('a patient token carrying a malformed INS is refused with 401; with the right key it is accepted', async () => {
    const malformed = await s.token({ kind: 'patient', id: P1_WRONG });
    expect((await s.fhir(malformed, 'GET', '/Patient')).status).toBe(401);
    const right = await s.token({ kind: 'patient', id: P2_INS });
    const res = await s.fhir(right, 'GET', '/Patient');
    expect(res.status).toBe(200);
    expect(res.body.entry.map((e: any) => e.resource.id)).toEqual(['p2']);
  });
});
