import { request as httpRequest, type Server } from 'node:http';
import { connect } from 'node:net';
import request from 'supertest';
import { createHttpServer } from '../../src/http/http-server';
import { createAccessApp, type AccessApp } from './access/harness';
import { createTestApp, FHIR_JSON, type TestApp } from '../support/test-app';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => {
  await t.close();
});

/** The answer must be a 4xx OperationOutcome, never a 5xx. */
function expectClientError(res: { status: number; body: { resourceType?: string } }, status = 400): void {
  expect(res.status).toBe(status);
  expect(res.body.resourceType).toBe('OperationOutcome');
}

const post = (path: string, text: string) => request(t.app).post(path).set('Content-Type', FHIR_JSON).send(text);

describe('bad input answers a 4xx OperationOutcome, never a 5xx', () => {
  it('refuses a NUL character in a search parameter value or name', async () => {
    expectClientError(await request(t.app).get('/fhir/Patient?family=du%00pont'));
    expectClientError(await request(t.app).get('/fhir/Patient?fam%00ily=x'));
    expectClientError(await request(t.app).post('/fhir/Patient/_search').type('form').send('family=du%00pont'));
  });

  it('refuses a NUL character in a body, and writes nothing', async () => {
    const res = await post('/fhir/Patient', JSON.stringify({ resourceType: 'Patient', name: [{ family: 'du\u0000pont' }] }));
    expectClientError(res);
    expect(res.body.issue[0].diagnostics).toMatch(/NUL/);
    expect((await request(t.app).get('/fhir/Patient?_summary=count')).body.total).toBe(0);
  });

  it('keeps an escaped backslash followed by u0000 as ordinary text', async () => {
    const res = await post('/fhir/Patient', JSON.stringify({ resourceType: 'Patient', name: [{ family: 'a\\u0000b' }] }));
    expect(res.status).toBe(201);
    expect(res.body.name[0].family).toBe('a\\u0000b');
  });

  it('refuses extensions nested 2,000 deep', async () => {
    let extension: object = { url: 'http://example.org/leaf', valueString: 'x' };
    for (let i = 0; i < 2000; i++) extension = { url: 'http://example.org/nested', extension: [extension] };
    const res = await post('/fhir/Patient', JSON.stringify({ resourceType: 'Patient', extension: [extension] }));
    expectClientError(res);
    expect(res.body.issue[0].diagnostics).toMatch(/nested more than/);
  });

  it('refuses 200,000 nested arrays', async () => {
    expectClientError(await post('/fhir/Patient', `{"resourceType":"Patient","name":${'['.repeat(200_000)}${']'.repeat(200_000)}}`));
    expectClientError(await post('/fhir', `${'['.repeat(200_000)}${']'.repeat(200_000)}`));
  });

  it('refuses a number too large for a double instead of indexing it as null (500 before)', async () => {
    const observation = (value: string) =>
      `{"resourceType":"Observation","status":"final","code":{"text":"poids"},"valueQuantity":{"value":${value},"unit":"kg"}}`;
    for (const value of ['1e999', '-1E+400', '9'.repeat(400)]) {
      const res = await post('/fhir/Observation', observation(value));
      expectClientError(res);
      expect(res.body.issue[0].diagnostics).toMatch(/too large/);
    }
    // Exponents that stay finite are ordinary decimals.
    expect((await post('/fhir/Observation', observation('7.25e1'))).status).toBe(201);
    const bundle = { resourceType: 'Bundle', type: 'transaction', entry: [{ request: { method: 'POST', url: 'Observation' }, resource: 'X' }] };
    expectClientError(await post('/fhir', JSON.stringify(bundle).replace('"X"', observation('1e999'))));
  });

  it('refuses a body of a million empty values with 413 before validating or indexing it', async () => {
    const started = Date.now();
    const res = await post('/fhir/Patient', `{"resourceType":"Patient","name":[${Array(1_000_000).fill('{}').join(',')}]}`);
    expectClientError(res, 413);
    expect(res.body.issue[0].code).toBe('too-costly');
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('lists at most a hundred problems, and counts the rest, for 200,000 unknown members', async () => {
    const members = Array.from({ length: 200_000 }, (_, i) => `"k${i}":1`).join(',');
    const res = await post('/fhir/Patient', `{"resourceType":"Patient",${members}}`);
    expectClientError(res, 422);
    expect(res.body.issue).toHaveLength(101);
    expect(res.body.issue[100].diagnostics).toBe('199900 more problems are not listed');
  });

  it('bounds the values of one search, also in a form-encoded body that no header size limits', async () => {
    const codes = (n: number) => Array.from({ length: n }, (_, i) => `http://loinc.org|${i}`).join(',');
    const search = (body: string) => request(t.app).post('/fhir/Observation/_search').type('form').send(body);
    expect((await search(`code=${codes(999)}&status=final`)).status).toBe(200);
    const started = Date.now();
    const refused = await search(`code=${codes(50_000)}`);
    expectClientError(refused);
    expect(refused.body.issue[0].diagnostics).toMatch(/at most 1000 parameters and comma-separated values/);
    expect(Date.now() - started).toBeLessThan(5000);
    expectClientError(await search(`code=${codes(600)}&subject:Patient.identifier=${codes(401)}`));
    expectClientError(await search(Array.from({ length: 1001 }, (_, i) => `unknown${i}=1`).join('&')));
  });

  it('refuses a malformed percent-encoding in the path, also inside a Bundle entry', async () => {
    expectClientError(await request(t.app).get('/fhir/Patient/%E0%A4%A'));
    const bundle = { resourceType: 'Bundle', type: 'batch', entry: [{ request: { method: 'GET', url: 'Patient/%E0%A4%A' } }] };
    const res = await post('/fhir', JSON.stringify(bundle));
    expect(res.status).toBeLessThan(500);
    if (res.status === 200) expect(res.body.entry[0].response.status).toMatch(/^400/);
  });
});

describe('a malformed X-Purpose-Reason header', () => {
  let access: AccessApp;
  beforeAll(async () => {
    access = await createAccessApp();
  });
  afterAll(async () => {
    await access.close();
  });

  it('answers 400 naming the header', async () => {
    const token = await access.token({ kind: 'practitioner', id: '10000000055' });
    const res = await request(access.app)
      .get('/fhir/Patient')
      .set('Authorization', `Bearer ${token}`)
      .set('X-Purpose-Of-Use', 'BTG')
      .set('X-Purpose-Reason', '%E0%A4%A');
    expectClientError(res);
    expect(res.body.issue[0].diagnostics).toMatch(/X-Purpose-Reason/);
  });
});

describe('headers larger than Node accepts', () => {
  let server: Server;
  let port: number;
  beforeAll(async () => {
    // The server as startServer builds it (src/server.ts).
    server = createHttpServer(t.app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as { port: number }).port;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  it('answers 431 with an OperationOutcome instead of a bare status line', async () => {
    const { status, type, body } = await new Promise<{ status?: number; type?: string; body: string }>((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port, path: '/fhir/metadata', headers: { 'x-big': 'a'.repeat(64 * 1024) } }, (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString('utf8')));
        res.on('end', () => resolve({ status: res.statusCode, type: res.headers['content-type'], body: text }));
      });
      req.on('error', reject);
      req.end();
    });
    expect(status).toBe(431);
    expect(type).toMatch(/^application\/fhir\+json/);
    expect(JSON.parse(body)).toMatchObject({ resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'too-costly' }] });
  });

  it('answers a request without Host with an OperationOutcome (Node answered a bare 400 before our code ran)', async () => {
    for (const version of ['1.1', '1.0']) {
      const raw = await new Promise<string>((resolve, reject) => {
        const socket = connect(port, '127.0.0.1', () => socket.write(`GET /fhir/metadata HTTP/${version}\r\nAccept: application/fhir+json\r\n\r\n`));
        let text = '';
        socket.on('data', (c: Buffer) => (text += c.toString('utf8')));
        socket.on('end', () => resolve(text));
        socket.on('error', reject);
      });
      const [head, body] = raw.split('\r\n\r\n');
      expect(head).toMatch(/^HTTP\/1\.1 400 /);
      expect(head).toMatch(/content-type: application\/fhir\+json/i);
      expect(JSON.parse(body)).toMatchObject({ resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'invalid' }] });
      expect(body).toMatch(/Host/);
    }
  });
});
