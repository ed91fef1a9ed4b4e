import request from 'supertest';
import { createTestApp, FHIR_JSON, type TestApp } from '../support/test-app';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => {
  await t.close();
});

const patient = {
  resourceType: 'Patient',
  identifier: [{ system: 'urn:oid:1.2.250.1.213.1.4.10', value: '279035121518989' }],
  name: [{ family: 'Dupré', given: ['Élodie'] }],
  gender: 'female',
  birthDate: '1979-03-21',
};

const practitioner = {
  resourceType: 'Practitioner',
  identifier: [{ system: 'urn:oid:1.2.250.1.71.4.2.1', value: '810100234565' }],
  name: [{ family: 'Martin', given: ['Paul'] }],
};

async function create(body: object) {
  return request(t.app).post(`/fhir/${(body as { resourceType: string }).resourceType}`).set('Content-Type', FHIR_JSON).send(JSON.stringify(body));
}

describe('create, read, vread, update, delete', () => {
  it('creates with a server id and answers 201 with Location, ETag and Last-Modified', async () => {
    const res = await create({ ...patient, id: 'client-chosen' });
    expect(res.status).toBe(201);
    expect(res.body.id).not.toBe('client-chosen');
    expect(res.headers.location).toMatch(new RegExp(`/fhir/Patient/${res.body.id}/_history/1$`));
    expect(res.headers.etag).toBe('W/"1"');
    expect(new Date(res.headers['last-modified']).getTime()).toBeGreaterThan(0);
    expect(res.headers['content-type']).toMatch(/^application\/fhir\+json/);
    expect(res.body.meta.versionId).toBe('1');
  });

  it('reads back exactly what was sent, apart from id and meta', async () => {
    const created = await create(patient);
    const res = await request(t.app).get(`/fhir/Patient/${created.body.id}`);
    expect(res.status).toBe(200);
    const { id, meta, ...rest } = res.body;
    expect(id).toBe(created.body.id);
    expect(meta.versionId).toBe('1');
    expect(rest).toEqual(patient);
  });

  it('updates with If-Match and refuses a stale version with 412', async () => {
    const created = await create(patient);
    const id = created.body.id;
    const ok = await request(t.app).put(`/fhir/Patient/${id}`).set('Content-Type', FHIR_JSON).set('If-Match', 'W/"1"').send({ ...patient, id, gender: 'other' });
    expect(ok.status).toBe(200);
    expect(ok.headers.etag).toBe('W/"2"');
    const stale = await request(t.app).put(`/fhir/Patient/${id}`).set('Content-Type', FHIR_JSON).set('If-Match', 'W/"1"').send({ ...patient, id, gender: 'male' });
    expect(stale.status).toBe(412);
    expect(stale.body.resourceType).toBe('OperationOutcome');
    const current = await request(t.app).get(`/fhir/Patient/${id}`);
    expect(current.body.gender).toBe('other');
    const v1 = await request(t.app).get(`/fhir/Patient/${id}/_history/1`);
    expect(v1.status).toBe(200);
    expect(v1.body.gender).toBe('female');
  });

  it('creates on PUT with a client id (update as create) and answers 201', async () => {
    const res = await request(t.app).put('/fhir/Patient/my-own-id').set('Content-Type', FHIR_JSON).send({ ...patient, id: 'my-own-id' });
    expect(res.status).toBe(201);
    expect(res.body.id).toBe('my-own-id');
  });

  it('deletes with a tombstone: read answers 410, history keeps every version', async () => {
    // A directory entry: a Patient is never deleted (its record is closed, then purged), so it offers no delete.
    const created = await create(practitioner);
    const id = created.body.id;
    const del = await request(t.app).delete(`/fhir/Practitioner/${id}`);
    expect(del.status).toBe(200);
    expect(del.body.resourceType).toBe('OperationOutcome');
    expect((await request(t.app).get(`/fhir/Practitioner/${id}`)).status).toBe(410);
    expect((await request(t.app).get(`/fhir/Practitioner/${id}/_history/2`)).status).toBe(410);
    const history = await request(t.app).get(`/fhir/Practitioner/${id}/_history`);
    expect(history.status).toBe(200);
    expect(history.body.type).toBe('history');
    expect(history.body.entry.map((e: { request: { method: string } }) => e.request.method)).toEqual(['DELETE', 'POST']);
    const search = await request(t.app).get(`/fhir/Practitioner?_id=${id}`);
    expect(search.body.total).toBe(0);
  });

  it('answers 405, not 404, to a method no FHIR interaction uses on a type or an instance', async () => {
    for (const url of ['/fhir/Patient', '/fhir/Patient/some-id']) {
      const res = await request(t.app).options(url);
      expect([url, res.status, res.body.resourceType]).toEqual([url, 405, 'OperationOutcome']);
    }
  });

  it('answers 405 with an OperationOutcome to an interaction the type does not offer (Patient delete), and keeps the Patient', async () => {
    const created = await create(patient);
    const del = await request(t.app).delete(`/fhir/Patient/${created.body.id}`);
    expect(del.status).toBe(405);
    expect(del.body.resourceType).toBe('OperationOutcome');
    expect(JSON.stringify(del.body)).toContain('Patient');
    expect((await request(t.app).get(`/fhir/Patient/${created.body.id}`)).status).toBe(200);
  });

  it('answers 404 for a missing resource and a missing version', async () => {
    expect((await request(t.app).get('/fhir/Patient/does-not-exist')).status).toBe(404);
    const created = await create(patient);
    expect((await request(t.app).get(`/fhir/Patient/${created.body.id}/_history/9`)).status).toBe(404);
  });

  it('answers 304 to a conditional read with the current ETag', async () => {
    const created = await create(patient);
    const res = await request(t.app).get(`/fhir/Patient/${created.body.id}`).set('If-None-Match', 'W/"1"');
    expect(res.status).toBe(304);
  });
});

describe('conditional interactions', () => {
  it('conditional create returns the existing resource instead of a duplicate', async () => {
    const org = { resourceType: 'Organization', identifier: [{ system: 'urn:oid:1.2.250.1.71.4.2.2', value: '1120459876' }], name: 'Laboratoire' };
    const first = await request(t.app).post('/fhir/Organization').set('Content-Type', FHIR_JSON).set('If-None-Exist', 'identifier=urn:oid:1.2.250.1.71.4.2.2|1120459876').send(org);
    expect(first.status).toBe(201);
    const second = await request(t.app).post('/fhir/Organization').set('Content-Type', FHIR_JSON).set('If-None-Exist', 'identifier=urn:oid:1.2.250.1.71.4.2.2|1120459876').send(org);
    expect(second.status).toBe(200);
    expect(second.body.id).toBe(first.body.id);
    const all = await request(t.app).get('/fhir/Organization?identifier=urn:oid:1.2.250.1.71.4.2.2|1120459876');
    expect(all.body.total).toBe(1);
  });

  it('conditional update creates when nothing matches, updates when one does', async () => {
    const body = { resourceType: 'Practitioner', identifier: [{ system: 'urn:oid:1.2.250.1.71.4.2.1', value: '801234534765' }], name: [{ family: 'Martin' }] };
    const created = await request(t.app).put('/fhir/Practitioner?identifier=urn:oid:1.2.250.1.71.4.2.1|801234534765').set('Content-Type', FHIR_JSON).send(body);
    expect(created.status).toBe(201);
    const updated = await request(t.app).put('/fhir/Practitioner?identifier=urn:oid:1.2.250.1.71.4.2.1|801234534765').set('Content-Type', FHIR_JSON).send({ ...body, name: [{ family: 'Martin-Durand' }] });
    expect(updated.status).toBe(200);
    expect(updated.body.id).toBe(created.body.id);
    expect(updated.body.meta.versionId).toBe('2');
  });

  it('patches with JSON Patch and with FHIRPath Patch', async () => {
    const created = await create(patient);
    const id = created.body.id;
    const json = await request(t.app).patch(`/fhir/Patient/${id}`).set('Content-Type', 'application/json-patch+json').send(JSON.stringify([{ op: 'replace', path: '/gender', value: 'male' }]));
    expect(json.status).toBe(200);
    expect(json.body.gender).toBe('male');
    const fp = await request(t.app).patch(`/fhir/Patient/${id}`).set('Content-Type', FHIR_JSON).send({
      resourceType: 'Parameters',
      parameter: [{ name: 'operation', part: [{ name: 'type', valueCode: 'replace' }, { name: 'path', valueString: 'Patient.gender' }, { name: 'value', valueCode: 'female' }] }],
    });
    expect(fp.status).toBe(200);
    expect(fp.body.gender).toBe('female');
    expect(fp.body.meta.versionId).toBe('3');
  });
});

describe('bad input never writes and never answers 5xx', () => {
  async function patientCount(): Promise<number> {
    return (await request(t.app).get('/fhir/Patient?_summary=count')).body.total;
  }

  it.each([
    ['malformed JSON', () => request(t.app).post('/fhir/Patient').set('Content-Type', FHIR_JSON).send('{"resourceType": "Patient",'), 400],
    ['a body of another type', () => request(t.app).post('/fhir/Patient').set('Content-Type', FHIR_JSON).send({ resourceType: 'Observation' }), 400],
    ['an unknown resource type', () => request(t.app).post('/fhir/Patientt').set('Content-Type', FHIR_JSON).send({ resourceType: 'Patientt' }), 404],
    ['a JSON array', () => request(t.app).post('/fhir/Patient').set('Content-Type', FHIR_JSON).send('[]'), 400],
    ['an id mismatch on PUT', () => request(t.app).put('/fhir/Patient/abc').set('Content-Type', FHIR_JSON).send({ resourceType: 'Patient', id: 'xyz' }), 400],
    ['an invalid id on PUT', () => request(t.app).put('/fhir/Patient/a_b').set('Content-Type', FHIR_JSON).send({ resourceType: 'Patient', id: 'a_b' }), 400],
    ['an unsupported content type', () => request(t.app).post('/fhir/Patient').set('Content-Type', 'text/plain').send('hello'), 415],
    ['an XML body', () => request(t.app).post('/fhir/Patient').set('Content-Type', 'application/fhir+xml').send('<Patient/>'), 415],
    ['a bad If-Match', () => request(t.app).put('/fhir/Patient/abc').set('Content-Type', FHIR_JSON).set('If-Match', 'nope').send({ resourceType: 'Patient', id: 'abc' }), 400],
    ['an unpaired surrogate in a string', () => request(t.app).post('/fhir/Patient').set('Content-Type', FHIR_JSON).send('{"resourceType":"Patient","name":[{"family":"A\\ud800"}]}'), 422],
  ])('rejects %s with a 4xx OperationOutcome', async (_name, send, status) => {
    const before = await patientCount();
    const res = await send();
    expect(res.status).toBe(status);
    expect(res.body.resourceType).toBe('OperationOutcome');
    expect(res.body.issue[0].diagnostics).toEqual(expect.any(String));
    expect(await patientCount()).toBe(before);
  });

  it('keeps astral characters and escaped backslashes that merely look like a surrogate escape', async () => {
    const family = 'Smile 😀 \\ud800';
    const created = await request(t.app).post('/fhir/Patient').set('Content-Type', FHIR_JSON).send({ resourceType: 'Patient', name: [{ family }] });
    expect(created.status).toBe(201);
    expect((await request(t.app).get(`/fhir/Patient/${created.body.id}`)).body.name[0].family).toBe(family);
  });

  it('answers 406 when the client only accepts XML', async () => {
    const res = await request(t.app).get('/fhir/metadata').set('Accept', 'application/fhir+xml');
    expect(res.status).toBe(406);
    expect((await request(t.app).get('/fhir/metadata?_format=xml')).status).toBe(406);
    expect((await request(t.app).get('/fhir/metadata?_format=json')).status).toBe(200);
    const plain = await request(t.app).get('/fhir/metadata').set('Accept', 'application/json');
    expect(plain.headers['content-type']).toMatch(/^application\/json/);
  });

  it('answers 405 for a method the path does not support', async () => {
    const res = await request(t.app).delete('/fhir/metadata');
    expect(res.status).toBe(405);
  });
});

describe('service endpoints', () => {
  it('serves health and readiness', async () => {
    expect((await request(t.app).get('/healthz')).status).toBe(200);
    const ready = await request(t.app).get('/readyz');
    expect(ready.status).toBe(200);
    expect(ready.body.status).toBe('ready');
  });

  it('describes what it supports in the CapabilityStatement', async () => {
    const res = await request(t.app).get('/fhir/metadata');
    expect(res.status).toBe(200);
    expect(res.body.fhirVersion).toBe('4.0.1');
    const doc = res.body.rest[0].resource.find((r: { type: string }) => r.type === 'DocumentReference');
    expect(doc.interaction.map((i: { code: string }) => i.code)).toEqual(expect.arrayContaining(['read', 'vread', 'create', 'update', 'delete', 'search-type', 'history-instance']));
    expect(doc.searchParam.map((p: { name: string }) => p.name)).toEqual(expect.arrayContaining(['patient', 'subject', 'identifier', 'type', 'category', 'date', 'period', 'status', 'author', 'relatesto', 'facility', 'setting']));
  });

  it('answers 404 with an OperationOutcome outside the API', async () => {
    const res = await request(t.app).get('/nowhere');
    expect(res.status).toBe(404);
    expect(res.body.resourceType).toBe('OperationOutcome');
  });
});
