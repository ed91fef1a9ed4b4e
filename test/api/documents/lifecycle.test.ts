import request from 'supertest';
import type { CodeableConcept, DocumentReference, Observation } from '@medplum/fhirtypes';
import type { Hooks } from '../../../src/fhir/context';
import { SUPERSEDED_TAG } from '../../../src/documents/retire-extracted';
import { VISIBILITY_SYSTEM } from '../../../src/documents/security-labels';
import type { TestApp } from '../../support/test-app';
import { bundleResources, createDocumentsApp, fixture, importCda, createFrenchTestPatient } from './documents-app';

/** Test authentication: `X-Test-Practitioner: <Practitioner id>` makes the caller that practitioner. */
const testActor: Hooks = {
  async authenticate(req, ctx) {
    const id = req.headers['x-test-practitioner'];
    if (typeof id === 'string') ctx.actor = { kind: 'practitioner', id };
  },
};

const V1_ID = 'urn:ietf:rfc:3986|urn:oid:1.2.250.1.999.1.1.7.1';
const V2_ID = 'urn:ietf:rfc:3986|urn:oid:1.2.250.1.999.1.1.7.2';
const flag = (code: string): CodeableConcept => ({ coding: [{ system: VISIBILITY_SYSTEM, code }] });
const N: CodeableConcept = { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-Confidentiality', code: 'N' }] };
const codes = (doc: DocumentReference) => (doc.securityLabel ?? []).map((l) => l.coding?.[0]?.code);

describe('document lifecycle: replacement (TD2.1) and metadata updates (TD3.3)', () => {
  let app: TestApp;
  let v1: DocumentReference;
  let v2: DocumentReference;
  let authorId: string;

  function patch(criteria: string, ops: unknown[], practitioner?: string) {
    const r = request(app.app).patch(`/fhir/DocumentReference?${criteria}`).set('Content-Type', 'application/json-patch+json');
    if (practitioner) r.set('X-Test-Practitioner', practitioner);
    return r.send(ops as object);
  }

  beforeAll(async () => {
    app = await createDocumentsApp([testActor]);
    await createFrenchTestPatient(app);
    const first = await importCda(app, fixture('cda/lab-report-two-results.xml'));
    expect(first.status).toBe(201);
    v1 = bundleResources(first.body).find((r) => r.resourceType === 'DocumentReference') as unknown as DocumentReference;
    authorId = bundleResources(first.body).find((r) => r.resourceType === 'Practitioner')?.id as string;
  });
  afterAll(() => app.close());

  it('imports version 2 (CDA RPLC): version 1 superseded, its extracted results taken out of the active lists', async () => {
    const second = await importCda(app, fixture('cda/lab-report-two-results-v2.xml'));
    expect(second.status).toBe(201);
    v2 = bundleResources(second.body).find((r) => r.resourceType === 'DocumentReference') as unknown as DocumentReference;
    expect(v2.relatesTo?.[0]).toMatchObject({ code: 'replaces', target: { reference: `DocumentReference/${v1.id}` } });
    const old = await request(app.app).get(`/fhir/DocumentReference/${v1.id}`);
    expect(old.body.status).toBe('superseded');
    const observations = await request(app.app).get('/fhir/Observation').query({ patient: v2.subject?.reference?.split('/')[1], _count: 100 });
    const all = (observations.body.entry ?? []).map((e: { resource: Observation }) => e.resource) as Observation[];
    const source = (o: Observation) => o.extension?.find((x) => x.valueReference?.reference?.startsWith('DocumentReference/'))?.valueReference?.reference;
    const fromV1 = all.filter((o) => source(o) === `DocumentReference/${v1.id}`);
    const fromV2 = all.filter((o) => source(o) === `DocumentReference/${v2.id}`);
    expect(fromV1.length).toBeGreaterThan(0);
    expect(fromV1.every((o) => o.status === 'entered-in-error' && o.meta?.tag?.some((t) => t.code === SUPERSEDED_TAG.code))).toBe(true);
    expect(fromV2.length).toBeGreaterThan(0);
    expect(fromV2.every((o) => o.status !== 'entered-in-error')).toBe(true);
    const active = await request(app.app).get('/fhir/Observation').query({ patient: v2.subject?.reference?.split('/')[1], 'status:not': 'entered-in-error', _count: 100 });
    expect(active.body.entry?.length).toBe(fromV2.length);
  });

  it('masks a document for professionals by conditional JSON Patch, keeping its confidentiality code', async () => {
    const res = await patch(`identifier=${V2_ID}`, [{ op: 'replace', path: '/securityLabel/0', value: flag('MASQUE_PS') }]);
    expect(res.status).toBe(200);
    expect(codes(res.body)).toEqual(['N', 'MASQUE_PS']);
  });

  it('adds a second visibility flag as a set member rather than overwriting the first', async () => {
    const res = await patch(`identifier=${V2_ID}`, [{ op: 'replace', path: '/securityLabel/0', value: flag('INVISIBLE_PATIENT') }]);
    expect(codes(res.body)).toEqual(['N', 'MASQUE_PS', 'INVISIBLE_PATIENT']);
  });

  it('unmasks by replacing the flag with N, keeping the other flag', async () => {
    const res = await patch(`identifier=${V2_ID}`, [{ op: 'replace', path: '/securityLabel/1', value: N }]);
    expect(res.status).toBe(200);
    expect(codes(res.body)).toEqual(['N', 'INVISIBLE_PATIENT']);
  });

  it('refuses with 405 a patch of anything but status and securityLabel, changing nothing', async () => {
    const res = await patch(`identifier=${V2_ID}`, [{ op: 'replace', path: '/description', value: 'changed' }]);
    expect(res.status).toBe(405);
    const byPath = await patch(`identifier=${V2_ID}`, [{ op: 'replace', path: '/status', value: 'current' }, { op: 'add', path: '/content/0/attachment/title', value: 'x' }]);
    expect(byPath.status).toBe(405);
    const doc = await request(app.app).get(`/fhir/DocumentReference/${v2.id}`);
    expect(doc.body.description).toBeUndefined();
  });

  it('refuses with 422 a label outside the DMP value set', async () => {
    const res = await patch(`identifier=${V2_ID}`, [{ op: 'add', path: '/securityLabel/-', value: flag('MASQUE_PSOCIAL') }]);
    expect(res.status).toBe(422);
  });

  it('lets only an author delete logically (entered-in-error): 403 without an actor or for another practitioner', async () => {
    const ops = [{ op: 'replace', path: '/status', value: 'entered-in-error' }];
    expect((await patch(`identifier=${V2_ID}`, ops)).status).toBe(403);
    expect((await patch(`identifier=${V2_ID}`, ops, 'someone-else')).status).toBe(403);
    const res = await patch(`identifier=${V2_ID}`, ops, authorId);
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('entered-in-error');
  });

  it('answers 404 for a conditional patch that matches no document', async () => {
    const res = await patch('identifier=urn:ietf:rfc:3986|urn:oid:1.2.3.4.404', [{ op: 'replace', path: '/status', value: 'superseded' }]);
    expect(res.status).toBe(404);
  });

  it('keeps the v1 identifier searchable and answers its document as superseded', async () => {
    const res = await request(app.app).get('/fhir/DocumentReference').query({ identifier: V1_ID });
    expect(res.body.entry?.[0]?.resource?.status).toBe('superseded');
  });
});
