import request from 'supertest';
import type { Bundle, BundleEntry, DocumentReference, List } from '@medplum/fhirtypes';
import { FHIR_JSON, type TestApp } from '../../support/test-app';
import { byRpps, consent, RPPS } from '../access/fixture';
import { useSweepServer } from '../access/sweep-4';
import { binaryBytes, createDocumentsApp, createPatient, fixture } from './documents-app';

// FHIR R4 §3.1.0.11.2 (transaction): the server gives each create its id and replaces every reference to the entry's
// fullUrl by that id. An ITI-105 publish (a DocumentReference carrying its document inline) sent as an entry of a
// transaction was run as a Bundle of its own and stored under another id: the List naming its fullUrl was stored
// naming a DocumentReference that never existed (answered 200). Every reference to a fullUrl must name what was stored
// under it, or the transaction is refused (422 naming the entry) with nothing written.

const INS = { system: 'urn:oid:1.2.250.1.213.1.4.8', value: '180057512345627' };
const DOC_URL = 'urn:uuid:0c7b5a52-7a61-4c1e-9a1e-5d0c00000001';
const LIST_URL = 'urn:uuid:0c7b5a52-7a61-4c1e-9a1e-5d0c00000002';
const ISSUE = (body: { issue?: { expression?: string[] }[] }) => body.issue?.[0]?.expression;

/** `Type/id` out of a transaction-response location. */
const refOf = (location: string) => location.split('/_history/')[0].split('/').slice(-2).join('/');

function post(app: TestApp, path: string, body: unknown) {
  return request(app.app).post(path).set('Content-Type', FHIR_JSON).send(body as object);
}

/** The ITI-105 fixture (a DocumentReference with its document inline) as a transaction entry, under its own document id. */
function publishedEntry(documentId: string): BundleEntry {
  const doc = JSON.parse(fixture('pdsm/iti105-publish.json').toString('utf8')) as DocumentReference;
  doc.masterIdentifier = { system: 'urn:ietf:rfc:3986', value: documentId };
  return { fullUrl: DOC_URL, resource: doc, request: { method: 'POST', url: 'DocumentReference' } };
}

function listEntry(patientId: string, item: string, title: string): BundleEntry {
  const list: List = { resourceType: 'List', status: 'current', mode: 'working', title, subject: { reference: `Patient/${patientId}` }, entry: [{ item: { reference: item } }] };
  return { fullUrl: LIST_URL, resource: list, request: { method: 'POST', url: 'List' } };
}

const transaction = (entry: BundleEntry[]): Bundle => ({ resourceType: 'Bundle', type: 'transaction', entry });

describe('references to an ITI-105 publish inside a transaction', () => {
  let app: TestApp;
  let patientId: string;
  beforeAll(async () => {
    app = await createDocumentsApp();
    patientId = await createPatient(app, [INS]);
  });
  afterAll(() => app.close());

  const listsOfPatient = async (): Promise<string[]> =>
    ((await request(app.app).get('/fhir/List').query({ subject: `Patient/${patientId}`, _count: '100' })).body.entry ?? []).map((e: { resource: { id: string } }) => e.resource.id).sort();

  it.each([
    ['the List first', 0, 1],
    ['the document first', 1, 0],
  ])('name the DocumentReference stored, with its Binary (%s)', async (_order, listAt, docAt) => {
    const published = publishedEntry(`urn:oid:1.2.250.1.999.7.31.${listAt}`);
    const sent = Buffer.from((published.resource as DocumentReference).content[0].attachment.data as string, 'base64');
    const entries: BundleEntry[] = [];
    entries[listAt] = listEntry(patientId, DOC_URL, `Suivi ${listAt}`);
    entries[docAt] = published;
    const res = await post(app, '/fhir', transaction(entries));
    expect(res.status).toBe(200);
    expect(res.body.entry.map((e: { response: { status: string } }) => e.response.status)).toEqual(['201 Created', '201 Created']);
    const docRef = refOf(res.body.entry[docAt].response.location);
    const listRef = refOf(res.body.entry[listAt].response.location);
    expect(docRef).toMatch(/^DocumentReference\/[A-Za-z0-9\-.]+$/);
    // The reference to the fullUrl is the id the DocumentReference was stored under: it reads.
    const list = await request(app.app).get(`/fhir/${listRef}`);
    expect(list.body.entry[0].item.reference).toBe(docRef);
    const doc = await request(app.app).get(`/fhir/${docRef}`);
    expect(doc.status).toBe(200);
    expect(doc.body.masterIdentifier.value).toBe(`urn:oid:1.2.250.1.999.7.31.${listAt}`);
    // Its inline document became a Binary that the stored DocumentReference names, holding the bytes sent.
    const binaryRef = doc.body.content[0].attachment.url as string;
    expect(binaryRef).toMatch(/^Binary\/[A-Za-z0-9\-.]+$/);
    const binary = await binaryBytes(app, binaryRef);
    expect(binary.bytes.equals(sent)).toBe(true);
    // Searched the other way: the List is found by the document it lists.
    const byItem = await request(app.app).get('/fhir/List').query({ item: docRef });
    expect((byItem.body.entry ?? []).map((e: { resource: { id: string } }) => `List/${e.resource.id}`)).toContain(listRef);
  });

  it('refuses (422, naming the entry) a reference to a conditional update, whose id is not known before it runs', async () => {
    const obsUrl = 'urn:uuid:0c7b5a52-7a61-4c1e-9a1e-5d0c00000003';
    const observation = {
      resourceType: 'Observation', status: 'final', identifier: [{ system: 'http://example.org/obs', value: 'cond-put-1' }],
      code: { coding: [{ system: 'http://loinc.org', code: '8867-4' }] }, subject: { reference: `Patient/${patientId}` },
      valueQuantity: { value: 72, unit: '/min', system: 'http://unitsofmeasure.org', code: '/min' },
    };
    const before = await listsOfPatient();
    const res = await post(app, '/fhir', transaction([
      { fullUrl: obsUrl, resource: observation as never, request: { method: 'PUT', url: 'Observation?identifier=http://example.org/obs|cond-put-1' } },
      listEntry(patientId, obsUrl, 'Suivi mesure'),
    ]));
    expect(res.status).toBe(422);
    expect(ISSUE(res.body)).toEqual(['Bundle.entry[0]']);
    expect(await listsOfPatient()).toEqual(before);
    const observations = await request(app.app).get('/fhir/Observation').query({ identifier: 'http://example.org/obs|cond-put-1' });
    expect(observations.body.entry ?? []).toHaveLength(0);
  });

  it('names the matched resource when a conditional create finds one', async () => {
    const patientUrl = 'urn:uuid:0c7b5a52-7a61-4c1e-9a1e-5d0c00000004';
    const patient = { resourceType: 'Patient', identifier: [INS], name: [{ use: 'official', family: 'TESTDOC', given: ['ALEX'] }], gender: 'female', birthDate: '1980-05-01' };
    const list: List = { resourceType: 'List', status: 'current', mode: 'working', title: 'Suivi conditionnel', subject: { reference: patientUrl } };
    const res = await post(app, '/fhir', transaction([
      { fullUrl: patientUrl, resource: patient as never, request: { method: 'POST', url: 'Patient', ifNoneExist: `identifier=${INS.system}|${INS.value}` } },
      { resource: list, request: { method: 'POST', url: 'List' } },
    ]));
    expect(res.status).toBe(200);
    expect(res.body.entry[0].response.status).toBe('200 OK');
    const stored = await request(app.app).get(`/fhir/${refOf(res.body.entry[1].response.location)}`);
    expect(stored.body.subject.reference).toBe(`Patient/${patientId}`);
  });
});

describe('an ITI-105 publish of one record named by a List of another, in one transaction', () => {
  // Access fixture: gp is the treating physician of p1, and authorised in p2 below.
  const { call } = useSweepServer('dmp-tx-published-');
  const ids = (body: { entry?: { resource: { id: string } }[] }): string[] => (body?.entry ?? []).map((e) => e.resource.id).sort();
  const doc = {
    resourceType: 'DocumentReference', status: 'current', subject: { reference: 'Patient/p1' },
    type: { coding: [{ system: 'http://loinc.org', code: '11488-4' }] },
    securityLabel: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-Confidentiality', code: 'N' }] }],
    content: [{ attachment: { contentType: 'text/plain', data: Buffer.from('compte rendu publié').toString('base64') } }],
  };
  const docEntry = { fullUrl: DOC_URL, resource: doc, request: { method: 'POST', url: 'DocumentReference' } };
  const listOf = (patient: string) => ({ fullUrl: LIST_URL, resource: { resourceType: 'List', status: 'current', mode: 'working', title: `Suivi ${patient}`, subject: { reference: `Patient/${patient}` }, entry: [{ item: { reference: DOC_URL } }] }, request: { method: 'POST', url: 'List' } });

  beforeAll(async () => {
    const permit = await call('p2', 'POST', '/Consent', { ...consent('x', 'p2', { type: 'permit', actor: [byRpps(RPPS.gp)] }), id: undefined });
    expect(permit.status).toBe(201);
  });

  it('is refused (422) whichever entry comes first, and nothing is written', async () => {
    const listsBefore = ids((await call('gp', 'GET', '/List?subject=Patient/p2&_count=100')).body);
    const docsBefore = ids((await call('gp', 'GET', '/DocumentReference?subject=Patient/p1&_count=100')).body);
    for (const entry of [[docEntry, listOf('p2')], [listOf('p2'), docEntry]]) {
      const answer = await call('gp', 'POST', '', { resourceType: 'Bundle', type: 'transaction', entry });
      expect(answer.status).toBe(422);
    }
    expect(ids((await call('gp', 'GET', '/List?subject=Patient/p2&_count=100')).body)).toEqual(listsBefore);
    expect(ids((await call('gp', 'GET', '/DocumentReference?subject=Patient/p1&_count=100')).body)).toEqual(docsBefore);
  });

  it('within one record, the List names the document stored, which its writer reads', async () => {
    const answer = await call('gp', 'POST', '', { resourceType: 'Bundle', type: 'transaction', entry: [listOf('p1'), docEntry] });
    expect(answer.status).toBe(200);
    const docRef = refOf(answer.body.entry[1].response.location);
    const list = await call('gp', 'GET', `/${refOf(answer.body.entry[0].response.location)}`);
    expect(list.body.entry[0].item.reference).toBe(docRef);
    expect((await call('gp', 'GET', `/${docRef}`)).status).toBe(200);
  });
});
