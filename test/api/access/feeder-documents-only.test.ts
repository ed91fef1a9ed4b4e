import { startAuditServer, type AuditServer } from '../audit/server-harness';
import { byRef, consent, INS_NIR, loadFixture, P1_INS, RPPS } from './fixture';
import { withInsKey } from './ins-values';
import { P1_LAB_REPORT } from './p1-documents';

// Issue 11, closed by default for feeding systems (DESIGN §4): a feeder (system token) creates *documents* on behalf
// of an authorised author, the Assurance Maladie writes care history and opens records at its counters. Before this
// rule a feeder created a free-standing Observation or Condition — part of no document, with no authorised author —
// in any open record. Through HTTP on the production composition (documents wired), on the access fixture (p1).

let s: AuditServer;
const tokens: Record<string, string> = {};
const LAB_REPORT = P1_LAB_REPORT;

const p1 = { reference: 'Patient/p1' };
const observation = { resourceType: 'Observation', status: 'final', code: { text: 'glycémie' }, valueQuantity: { value: 9.9, unit: 'mmol/L' }, subject: p1 };
const condition = { resourceType: 'Condition', code: { text: 'diabète' }, subject: p1 };
const binaryOfPatient = { resourceType: 'Binary', contentType: 'text/plain', securityContext: p1, data: Buffer.from('note').toString('base64') };
const listOfNothing = { resourceType: 'List', status: 'current', mode: 'working', subject: p1 };
const document = (type: string, code: string, authorRpps = RPPS.gp) => ({
  resourceType: 'DocumentReference',
  status: 'current',
  type: { coding: [{ system: type, code }] },
  subject: p1,
  author: [{ identifier: { system: 'urn:oid:1.2.250.1.71.4.2.1', value: `8${authorRpps}` } }],
  content: [{ attachment: { contentType: 'text/plain', url: 'urn:uuid:3f1c0a55-0000-4000-8000-000000000001' } }],
});
const LOINC = 'http://loinc.org';
const A05 = 'urn:oid:1.2.250.1.213.1.1.4.12';
/** An ITI-65 Provide Document Bundle: a Binary and its DocumentReference (and, when asked, one more entry). */
const provide = (doc: object, extra?: object) => ({
  resourceType: 'Bundle',
  type: 'transaction',
  entry: [
    {
      fullUrl: 'urn:uuid:3f1c0a55-0000-4000-8000-000000000001',
      resource: { resourceType: 'Binary', contentType: 'text/plain', data: Buffer.from('compte rendu').toString('base64'), securityContext: { reference: 'urn:uuid:3f1c0a55-0000-4000-8000-000000000002' } },
      request: { method: 'POST', url: 'Binary' },
    },
    { fullUrl: 'urn:uuid:3f1c0a55-0000-4000-8000-000000000002', resource: doc, request: { method: 'POST', url: 'DocumentReference' } },
    ...(extra ? [{ resource: extra, request: { method: 'POST', url: (extra as { resourceType: string }).resourceType } }] : []),
  ],
});
const FEEDER_REFUSAL = /^A feeder submits documents; it may not write a free-standing (\w+)/;
const AM_REFUSAL = /Assurance Maladie/;

const importCda = (token: string, xml: string) => s.importCda(token, xml);
/** How many rows of a type p1's record holds, as the patient sees it. */
const countInP1 = async (type: string): Promise<number> => (await s.fhir(tokens.patient, 'GET', `/${type}?_summary=count`)).body.total;

beforeAll(async () => {
  s = await startAuditServer();
  await loadFixture(s.server.service);
  tokens.feeder = await s.token({ kind: 'system', id: 'lab-feeder' });
  tokens.am = await s.token({ kind: 'system', id: 'cnam', category: 'assurance-maladie' });
  tokens.patient = await s.token({ kind: 'patient', id: 'p1' });
}, 120_000);
afterAll(() => s?.close());

describe('a feeder writes documents only', () => {
  test('creating an Observation or a Condition in an open record → 403 saying a feeder submits documents; nothing written', async () => {
    const before = [await countInP1('Observation'), await countInP1('Condition')];
    for (const body of [observation, condition]) {
      const res = await s.fhir(tokens.feeder, 'POST', `/${body.resourceType}`, body);
      expect([res.status, res.body.resourceType]).toEqual([403, 'OperationOutcome']);
      expect(res.body.issue[0].diagnostics).toMatch(FEEDER_REFUSAL);
    }
    expect([await countInP1('Observation'), await countInP1('Condition')]).toEqual(before);
  });

  test('conditional create, conditional update, a Binary kept under the Patient and a List of no document: 403 too', async () => {
    const conditional = await s.fhir(tokens.feeder, 'POST', '/Observation', observation, { 'if-none-exist': 'identifier=urn:lab|obs-1' });
    expect(conditional.status).toBe(403);
    const upsert = await s.fhir(tokens.feeder, 'PUT', '/Observation?identifier=urn:lab|obs-2', { ...observation, identifier: [{ system: 'urn:lab', value: 'obs-2' }] });
    expect(upsert.status).toBe(403);
    for (const body of [binaryOfPatient, listOfNothing]) {
      const res = await s.fhir(tokens.feeder, 'POST', `/${body.resourceType}`, body);
      expect([body.resourceType, res.status]).toEqual([body.resourceType, 403]);
      expect(res.body.issue[0].diagnostics).toMatch(FEEDER_REFUSAL);
    }
  });

  test('update or patch of a row extracted from a document is refused (403/404: it is not the feeder\'s to see)', async () => {
    const put = await s.fhir(tokens.feeder, 'PUT', '/Observation/d1-obs', { ...observation, id: 'd1-obs' });
    expect([403, 404]).toContain(put.status);
    const patch = await s.fhir(tokens.feeder, 'PATCH', '/Observation/d1-obs', [{ op: 'add', path: '/language', value: 'fr-FR' }], { 'content-type': 'application/json-patch+json' });
    expect([403, 404]).toContain(patch.status);
    expect((await s.fhir(tokens.patient, 'GET', '/Observation/d1-obs')).body.language).toBeUndefined();
  });

  test('in a Bundle: a batch entry is refused alone, a transaction carrying one is refused whole', async () => {
    const before = await countInP1('Observation');
    const batch = await s.fhir(tokens.feeder, 'POST', '', { resourceType: 'Bundle', type: 'batch', entry: [{ resource: observation, request: { method: 'POST', url: 'Observation' } }] });
    expect(batch.status).toBe(200);
    expect(batch.body.entry[0].response.status).toMatch(/^403/);
    const transaction = await s.fhir(tokens.feeder, 'POST', '', provide(document(LOINC, '11488-4'), condition));
    expect(transaction.status).toBe(403);
    expect(transaction.body.issue[0].diagnostics).toMatch(FEEDER_REFUSAL);
    expect(await countInP1('Observation')).toBe(before);
  });

  test('its ITI-65 submission on behalf of the treating physician still lands', async () => {
    const res = await s.fhir(tokens.feeder, 'POST', '', provide({ ...document(LOINC, '11488-4'), masterIdentifier: { system: 'urn:ietf:rfc:3986', value: 'urn:oid:1.2.250.1.999.11.1' } }));
    expect([res.status, res.status === 200 ? '' : JSON.stringify(res.body)]).toEqual([200, '']);
    expect(res.body.entry.map((e: any) => e.response.status)).toEqual(['201 Created', '201 Created']);
  });

  test('its $import of a lab report still lands, with the results the server extracts from it', async () => {
    const before = await countInP1('Observation');
    const res = await importCda(tokens.feeder, LAB_REPORT);
    expect([res.status, res.status === 201 ? '' : JSON.stringify(res.body)]).toEqual([201, '']);
    expect(await countInP1('Observation')).toBeGreaterThan(before);
  });
});

describe('the Assurance Maladie writes care history and opens records at its counters, nothing else', () => {
  test('it opens a record: the Patient with its INS, then the opening Consent', async () => {
    const created = await fetch(`${s.server.fhirUrl}/Patient`, {
      method: 'POST',
      headers: { authorization: `Bearer ${tokens.am}`, 'content-type': 'application/fhir+json' },
      body: JSON.stringify({ resourceType: 'Patient', identifier: [{ system: INS_NIR, value: withInsKey('2800175990011') }], name: [{ family: 'Guichet' }], gender: 'female', birthDate: '1980-01-01' }),
    });
    expect(created.status).toBe(201);
    // The Assurance Maladie reads no record, not even the one it creates: the answer names it by its Location only.
    const id = /\/Patient\/([^/]+)/.exec(created.headers.get('location') ?? '')?.[1] as string;
    const opening = await s.fhir(tokens.am, 'POST', '/Consent', { ...consent('x', id, { type: 'permit' }), id: undefined });
    expect(opening.status).toBe(201);
  });

  test('it submits a care-history document (ITI-65)', async () => {
    const res = await s.fhir(tokens.am, 'POST', '', provide({ ...document(A05, 'REMB'), masterIdentifier: { system: 'urn:ietf:rfc:3986', value: 'urn:oid:1.2.250.1.999.11.2' } }));
    expect([res.status, res.status === 200 ? '' : JSON.stringify(res.body)]).toEqual([200, '']);
  });

  test.each([
    ['a free-standing Observation', 'POST', '/Observation', observation, /^The Assurance Maladie submits care-history documents; it may not write a free-standing Observation/],
    ['a free-standing Condition', 'POST', '/Condition', condition, /free-standing Condition/],
    ['a Binary kept under the Patient', 'POST', '/Binary', binaryOfPatient, /free-standing Binary/],
    ['a List of no document', 'POST', '/List', listOfNothing, /free-standing List/],
    ['a document that is not care history', 'POST', '/DocumentReference', { ...document(LOINC, '11488-4'), content: [{ attachment: { contentType: 'text/plain', data: Buffer.from('x').toString('base64') } }] }, /only create care-history documents/],
    ['a contact person', 'POST', '/RelatedPerson', { resourceType: 'RelatedPerson', patient: p1, relationship: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-RoleCode', code: 'FRND' }] }] }, AM_REFUSAL],
    ['a message', 'POST', '/Communication', { resourceType: 'Communication', status: 'completed', subject: p1 }, AM_REFUSAL],
    ['an authorisation of a professional', 'POST', '/Consent', { ...consent('x', 'p1', { type: 'permit', actor: [byRef('gp')] }), id: undefined }, /may only record the opening consent/],
    // Its tokens grant creation only (SMART scopes), and the rules refuse it any change besides.
    ['a change of the Patient', 'PUT', '/Patient/p1', { resourceType: 'Patient', id: 'p1', identifier: [{ system: INS_NIR, value: P1_INS }], name: [{ family: 'Martin' }] }, /update on Patient/],
    ['a deletion', 'DELETE', '/Observation/d1-obs', undefined, /delete on Observation/],
  ])('%s → 403', async (_what, method, url, body, reason) => {
    const headers: Record<string, string> = method === 'PATCH' ? { 'content-type': 'application/json-patch+json' } : {};
    const res = await s.fhir(tokens.am, method, url, body, headers);
    expect([res.status, res.body?.resourceType]).toEqual([403, 'OperationOutcome']);
    expect(res.body.issue[0].diagnostics).toMatch(reason);
  });

  test('a patch of a document\'s status is refused, and the document is unchanged', async () => {
    const res = await s.fhir(tokens.am, 'PATCH', '/DocumentReference/d1', [{ op: 'replace', path: '/status', value: 'entered-in-error' }], { 'content-type': 'application/json-patch+json' });
    // The TD3.3 metadata update (documents/metadata-update.ts) looks the document up among those the caller may see
    // before the interaction is authorised: the Assurance Maladie sees none, so this is the 404 of an absent document.
    expect([res.status, res.body?.resourceType]).toEqual([404, 'OperationOutcome']);
    expect((await s.fhir(tokens.patient, 'GET', '/DocumentReference/d1')).body.status).toBe('current');
  });

  test('a care-history submission carrying a free-standing Observation is refused whole', async () => {
    const res = await s.fhir(tokens.am, 'POST', '', provide({ ...document(A05, 'REMB'), masterIdentifier: { system: 'urn:ietf:rfc:3986', value: 'urn:oid:1.2.250.1.999.11.3' } }, observation));
    expect(res.status).toBe(403);
    expect(res.body.issue[0].diagnostics).toMatch(/Assurance Maladie submits care-history documents; it may not write a free-standing Observation/);
  });
});
