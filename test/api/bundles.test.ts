import request from 'supertest';
import { createTestApp, FHIR_JSON, type TestApp } from '../support/test-app';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => {
  await t.close();
});

const post = (body: object) => request(t.app).post('/fhir').set('Content-Type', FHIR_JSON).send(body);
const total = async (query: string) => (await request(t.app).get(`/fhir/${query}`)).body.total as number;

describe('transaction', () => {
  it('creates entries atomically and resolves urn:uuid references between them', async () => {
    const res = await post({
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        { fullUrl: 'urn:uuid:9b1f0f3e-0000-4000-8000-000000000001', resource: { resourceType: 'Patient', name: [{ family: 'Transaction' }] }, request: { method: 'POST', url: 'Patient' } },
        {
          fullUrl: 'urn:uuid:9b1f0f3e-0000-4000-8000-000000000002',
          resource: { resourceType: 'DocumentReference', status: 'current', subject: { reference: 'urn:uuid:9b1f0f3e-0000-4000-8000-000000000001' }, content: [{ attachment: { url: 'urn:uuid:9b1f0f3e-0000-4000-8000-000000000003', contentType: 'text/plain' } }] },
          request: { method: 'POST', url: 'DocumentReference' },
        },
        { fullUrl: 'urn:uuid:9b1f0f3e-0000-4000-8000-000000000003', resource: { resourceType: 'Binary', contentType: 'text/plain', data: Buffer.from('hello').toString('base64') }, request: { method: 'POST', url: 'Binary' } },
      ],
    });
    expect(res.status).toBe(200);
    expect(res.body.type).toBe('transaction-response');
    expect(res.body.entry).toHaveLength(3);
    for (const e of res.body.entry) expect(e.response.status).toMatch(/^201/);
    const [patientLoc, docLoc, binLoc] = res.body.entry.map((e: { response: { location: string } }) => e.response.location);
    const patientId = patientLoc.split('/')[5];
    const doc = await request(t.app).get(`/fhir/DocumentReference/${docLoc.split('/')[5]}`);
    expect(doc.body.subject.reference).toBe(`Patient/${patientId}`);
    expect(doc.body.content[0].attachment.url).toBe(`Binary/${binLoc.split('/')[5]}`);
    const bytes = await request(t.app).get(`/fhir/${doc.body.content[0].attachment.url}`).buffer(true);
    expect(bytes.text).toBe('hello');
  });

  it('resolves a conditional patient reference, and fails whole with 422 when it matches nothing', async () => {
    await request(t.app).post('/fhir/Patient').set('Content-Type', FHIR_JSON).send({ resourceType: 'Patient', identifier: [{ system: 'urn:oid:1.2.250.1.213.1.4.8', value: '123456789012311' }], name: [{ family: 'Ins' }], gender: 'male', birthDate: '1970-01-01' });
    const ok = await post({
      resourceType: 'Bundle', type: 'transaction',
      entry: [{ resource: { resourceType: 'DocumentReference', status: 'current', subject: { reference: 'Patient?identifier=urn:oid:1.2.250.1.213.1.4.8|123456789012311' }, content: [{ attachment: { url: 'http://x/y', contentType: 'application/pdf' } }] }, request: { method: 'POST', url: 'DocumentReference' } }],
    });
    expect(ok.status).toBe(200);
    const before = await total('DocumentReference?_summary=count');
    const bad = await post({
      resourceType: 'Bundle', type: 'transaction',
      entry: [
        { resource: { resourceType: 'Patient', name: [{ family: 'Never stored' }] }, request: { method: 'POST', url: 'Patient' } },
        { resource: { resourceType: 'DocumentReference', status: 'current', subject: { reference: 'Patient?identifier=urn:oid:1.2.250.1.213.1.4.8|000' }, content: [{ attachment: { url: 'http://x/y', contentType: 'application/pdf' } }] }, request: { method: 'POST', url: 'DocumentReference' } },
      ],
    });
    expect(bad.status).toBe(422);
    expect(bad.body.issue[0].diagnostics).toMatch(/Patient\?identifier/);
    expect(await total('DocumentReference?_summary=count')).toBe(before);
    expect(await total('Patient?family=never')).toBe(0);
  });

  it('rolls back every entry when one fails (412 on a stale If-Match)', async () => {
    const p = await request(t.app).post('/fhir/Patient').set('Content-Type', FHIR_JSON).send({ resourceType: 'Patient', name: [{ family: 'Stale' }] });
    const res = await post({
      resourceType: 'Bundle', type: 'transaction',
      entry: [
        { resource: { resourceType: 'Organization', name: 'Rolled back' }, request: { method: 'POST', url: 'Organization' } },
        { resource: { ...p.body, gender: 'male' }, request: { method: 'PUT', url: `Patient/${p.body.id}`, ifMatch: 'W/"7"' } },
      ],
    });
    expect(res.status).toBe(412);
    expect(res.body.issue[0].expression[0]).toBe('Bundle.entry[1]');
    expect(await total('Organization?name=rolled')).toBe(0);
  });

  it('runs deletes before creates and answers entries in request order', async () => {
    // Directory entries: a Patient offers no delete (405).
    const p = await request(t.app).post('/fhir/Practitioner').set('Content-Type', FHIR_JSON).send({ resourceType: 'Practitioner', name: [{ family: 'Order' }] });
    const res = await post({
      resourceType: 'Bundle', type: 'transaction',
      entry: [
        { resource: { resourceType: 'Practitioner', name: [{ family: 'Order' }] }, request: { method: 'POST', url: 'Practitioner' } },
        { request: { method: 'DELETE', url: `Practitioner/${p.body.id}` } },
        { request: { method: 'GET', url: 'Practitioner?family=order' } },
      ],
    });
    expect(res.status).toBe(200);
    expect(res.body.entry[0].response.status).toMatch(/^201/);
    expect(res.body.entry[1].response.status).toMatch(/^200/);
    expect(res.body.entry[2].resource.total).toBe(1);
  });

  it('applies the IHE MHD FHIRPath Patch entry that supersedes a document', async () => {
    const doc = await request(t.app).post('/fhir/DocumentReference').set('Content-Type', FHIR_JSON).send({ resourceType: 'DocumentReference', status: 'current', subject: { reference: 'Patient/p1' }, content: [{ attachment: { url: 'http://x/1', contentType: 'application/pdf' } }] });
    const res = await post({
      resourceType: 'Bundle', type: 'transaction',
      entry: [{
        resource: { resourceType: 'Parameters', parameter: [{ name: 'operation', part: [{ name: 'type', valueCode: 'replace' }, { name: 'path', valueString: 'DocumentReference.status' }, { name: 'value', valueCode: 'superseded' }] }] },
        request: { method: 'PATCH', url: `DocumentReference/${doc.body.id}` },
      }],
    });
    expect(res.status).toBe(200);
    expect((await request(t.app).get(`/fhir/DocumentReference/${doc.body.id}`)).body.status).toBe('superseded');
  });
});

describe('batch', () => {
  it('runs entries independently and reports each outcome', async () => {
    const res = await post({
      resourceType: 'Bundle', type: 'batch',
      entry: [
        { resource: { resourceType: 'Organization', name: 'Batch ok' }, request: { method: 'POST', url: 'Organization' } },
        { request: { method: 'GET', url: 'Organization/missing' } },
        { resource: { resourceType: 'Patient' }, request: { method: 'POST', url: 'Organization' } },
      ],
    });
    expect(res.status).toBe(200);
    expect(res.body.type).toBe('batch-response');
    expect(res.body.entry.map((e: { response: { status: string } }) => e.response.status.slice(0, 3))).toEqual(['201', '404', '400']);
    expect(res.body.entry[1].response.outcome.resourceType).toBe('OperationOutcome');
    expect(await total('Organization?name=batch')).toBe(1);
  });

  it('refuses a Bundle that is neither batch nor transaction', async () => {
    const res = await post({ resourceType: 'Bundle', type: 'collection', entry: [] });
    expect(res.status).toBe(400);
  });
});

describe('Binary', () => {
  it('stores raw bytes and serves them raw, or as FHIR JSON when asked', async () => {
    const pdf = Buffer.concat([Buffer.from('%PDF-1.4\n'), Buffer.alloc(1000, 7)]);
    const created = await request(t.app).post('/fhir/Binary').set('Content-Type', 'application/pdf').send(pdf);
    expect(created.status).toBe(201);
    const raw = await request(t.app).get(`/fhir/Binary/${created.body.id}`).buffer(true).parse((res, cb) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => cb(null, Buffer.concat(chunks)));
    });
    expect(raw.headers['content-type']).toBe('application/pdf');
    expect(Buffer.compare(raw.body as Buffer, pdf)).toBe(0);
    const json = await request(t.app).get(`/fhir/Binary/${created.body.id}`).set('Accept', FHIR_JSON);
    expect(json.body.resourceType).toBe('Binary');
    expect(json.body.contentType).toBe('application/pdf');
    expect(Buffer.from(json.body.data, 'base64').equals(pdf)).toBe(true);
  });

  it('accepts a 20 MB payload as FHIR JSON and gives the bytes back unchanged', async () => {
    const payload = Buffer.alloc(20 * 1024 * 1024);
    for (let i = 0; i < payload.length; i += 4096) payload[i] = i % 251;
    const created = await request(t.app).post('/fhir/Binary').set('Content-Type', FHIR_JSON).send(JSON.stringify({ resourceType: 'Binary', contentType: 'application/octet-stream', data: payload.toString('base64') }));
    expect(created.status).toBe(201);
    expect(created.body.data).toBeUndefined();
    const raw = await request(t.app).get(`/fhir/Binary/${created.body.id}`).buffer(true).parse((res, cb) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => cb(null, Buffer.concat(chunks)));
    });
    expect((raw.body as Buffer).equals(payload)).toBe(true);
  });

  it('refuses a body over the configured limit with 413 and writes nothing', async () => {
    const small = await createTestApp({ config: { maxBodySize: 1024 } });
    try {
      const res = await request(small.app).post('/fhir/Patient').set('Content-Type', FHIR_JSON).send({ resourceType: 'Patient', text: { status: 'generated', div: `<div>${'x'.repeat(5000)}</div>` } });
      expect(res.status).toBe(413);
      expect(res.body.resourceType).toBe('OperationOutcome');
      expect((await request(small.app).get('/fhir/Patient?_summary=count')).body.total).toBe(0);
    } finally {
      await small.close();
    }
  });
});

describe('conditional creates of one resource in one transaction', () => {
  // Ids are drawn before any write. Two entries creating the same Organization got two ids; the second found the first's
  // at execution and answered 200 with it, while the references to the second entry kept its own id, never created
  // (seen by a helper: a document's custodian pointing at a missing Organization).
  const org = (fullUrl: string, ifNoneExist: string) => ({
    fullUrl, resource: { resourceType: 'Organization', identifier: [{ system: 'urn:oid:1.2.250.1.71.4.2.2', value: '1990000001' }], name: 'Clinique des Tilleuls' },
    request: { method: 'POST', url: 'Organization', ifNoneExist },
  });
  const patientNaming = (fullUrl: string) => ({
    resource: { resourceType: 'Patient', name: [{ family: 'Tilleul' }], managingOrganization: { reference: fullUrl } },
    request: { method: 'POST', url: 'Patient' },
  });
  const A = 'urn:uuid:5d0c2b1e-0000-4000-8000-00000000000a';
  const B = 'urn:uuid:5d0c2b1e-0000-4000-8000-00000000000b';

  it('with the same criteria: one Organization, and the references to either entry name it', async () => {
    const criteria = 'identifier=urn:oid:1.2.250.1.71.4.2.2|1990000001';
    const res = await post({ resourceType: 'Bundle', type: 'transaction', entry: [org(A, criteria), org(B, criteria), patientNaming(B)] });
    expect(res.status).toBe(200);
    const [first, second, patient] = res.body.entry.map((e: { response: { status: string; location: string } }) => e.response);
    expect([first.status, second.status]).toEqual(['201 Created', '200 OK']);
    const orgId = first.location.split('/')[5];
    expect(second.location.split('/')[5]).toBe(orgId);
    const stored = await request(t.app).get(`/fhir/Patient/${patient.location.split('/')[5]}`);
    expect(stored.body.managingOrganization.reference).toBe(`Organization/${orgId}`);
    expect((await request(t.app).get(`/fhir/Organization/${orgId}`)).status).toBe(200);
    expect(await total('Organization?identifier=urn:oid:1.2.250.1.71.4.2.2|1990000001')).toBe(1);
  });

  it('with other criteria finding the first entry\'s Organization: 422 naming the entry, nothing written', async () => {
    const before = await total('Patient?family=Tilleul');
    const res = await post({
      resourceType: 'Bundle', type: 'transaction',
      entry: [
        { ...org(A, 'identifier=urn:oid:1.2.250.1.71.4.2.2|1990000002'), resource: { resourceType: 'Organization', identifier: [{ system: 'urn:oid:1.2.250.1.71.4.2.2', value: '1990000002' }], name: 'Clinique des Ormes' } },
        { ...org(B, 'name=Clinique des Ormes'), resource: { resourceType: 'Organization', name: 'Clinique des Ormes' } },
        patientNaming(B),
      ],
    });
    expect(res.status).toBe(422);
    expect(res.body.issue[0].diagnostics).toMatch(/created by another entry of this transaction/);
    expect(res.body.issue[0].expression[0]).toBe('Bundle.entry[1]');
    expect(await total('Patient?family=Tilleul')).toBe(before);
    expect(await total('Organization?identifier=urn:oid:1.2.250.1.71.4.2.2|1990000002')).toBe(0);
  });
});
