import type { Server } from 'node:http';
import fc from 'fast-check';
import { createHttpServer } from '../../src/http/http-server';
import { createTestApp, type TestApp } from '../support/test-app';

/** Seeded so that a failure is reproducible; the number of runs bounds the test's time (~300 requests). */
const RUNS = 300;
const SEED = 20261206;

const TYPES = ['Patient', 'Observation', 'DocumentReference', 'Condition', 'Bundle', 'Binary', 'Consent', 'Spaceship', ''];
const PARAMS = ['family', 'name', '_id', '_count', '_sort', '_total', '_summary', 'date', 'birthdate', 'subject', 'patient', 'code', 'value-quantity', '_include', '_revinclude', 'patient.identifier', '_lastUpdated', '_format', '_cursor', 'identifier:not', 'family:exact', 'subject:missing'];
const CONTENT_TYPES = ['application/fhir+json', 'application/json', 'application/json-patch+json', 'application/x-www-form-urlencoded', 'text/plain', 'application/xml', ''];
const ELEMENTS = ['id', 'meta', 'name', 'identifier', 'status', 'code', 'subject', 'valueQuantity', 'extension', 'contained', 'entry', 'type', 'content', 'data', 'birthDate', 'text'];

/** Printable ASCII (what a header value may carry over fetch). */
const headerText = fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 60 });
const anyText = fc.oneof(fc.string({ maxLength: 30 }), fc.string({ unit: 'binary', maxLength: 30 }), fc.constantFrom('ge2020', 'eq1979-03-21', '%E0%A4%A', 'Patient/1', 'http://loinc.org|123', '\u0000', '-_lastUpdated'));
const segment = fc.oneof(fc.constantFrom('1', '_history', '_search', '$everything', '$import', '$verify', '..', '%2F'), fc.string({ maxLength: 12 }).map(encodeURIComponent));
const resourceLike = fc.record({
  resourceType: fc.constantFrom(...TYPES),
  fields: fc.dictionary(fc.constantFrom(...ELEMENTS), fc.jsonValue({ maxDepth: 4 }), { maxKeys: 5 }),
}).map(({ resourceType, fields }) => JSON.stringify({ resourceType, ...fields }));
const body = fc.oneof(resourceLike, fc.json({ maxDepth: 4 }), fc.string({ maxLength: 100 }), fc.constant(''));

const requestArb = fc
  .record({
    method: fc.constantFrom('GET', 'GET', 'POST', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD'),
    type: fc.constantFrom(...TYPES),
    segments: fc.oneof({ weight: 3, arbitrary: fc.constant([] as string[]) }, { weight: 2, arbitrary: fc.array(segment, { minLength: 1, maxLength: 3 }) }),
    query: fc.array(fc.tuple(fc.oneof(fc.constantFrom(...PARAMS), fc.string({ maxLength: 8 })), anyText), { maxLength: 4 }),
    rawQuery: fc.boolean(),
    contentType: fc.oneof({ weight: 4, arbitrary: fc.constant('application/fhir+json') }, { weight: 1, arbitrary: fc.constantFrom(...CONTENT_TYPES) }),
    headers: fc.dictionary(fc.constantFrom('if-match', 'if-none-match', 'if-none-exist', 'if-modified-since', 'prefer', 'x-purpose-reason'), headerText, { maxKeys: 2 }),
    accept: fc.oneof({ weight: 4, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: fc.oneof(fc.constantFrom('application/fhir+json', '*/*', 'application/json'), headerText) }),
    body,
    // Most bodies claim the type of the URL, so that they reach validation and the store rather than a type mismatch.
    sameType: fc.boolean(),
  })
  .map(({ accept, sameType, ...r }) => ({
    ...r,
    headers: accept === undefined ? r.headers : { ...r.headers, accept },
    body: sameType && r.type && r.body.startsWith('{"resourceType"') ? r.body.replace(/^\{"resourceType":"[^"]*"/, `{"resourceType":"${r.type}"`) : r.body,
  }));
type FuzzRequest = typeof requestArb extends fc.Arbitrary<infer T> ? T : never;

let t: TestApp;
let server: Server;
let base: string;
beforeAll(async () => {
  t = await createTestApp();
  server = createHttpServer(t.app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  await t.close();
});

function urlOf(r: FuzzRequest): string {
  const path = ['/fhir', r.type, ...r.segments].filter(Boolean).join('/');
  const encode = (s: string) => (r.rawQuery ? s.replace(/[#&=\s]/g, '') : encodeURIComponent(s));
  const query = r.query.map(([k, v]) => `${encode(k)}=${encode(v)}`).join('&');
  return `${base}${path}${query ? `?${query}` : ''}`;
}

describe('fuzzing the FHIR endpoints', () => {
  it(`answers ${RUNS} random requests (bodies, headers, query strings) without a 5xx, and stays alive`, async () => {
    const seen = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(requestArb, async (r) => {
        const withBody = ['POST', 'PUT', 'PATCH'].includes(r.method);
        const headers: Record<string, string> = { ...r.headers };
        if (withBody && r.contentType) headers['content-type'] = r.contentType;
        let res: Response;
        try {
          res = await fetch(urlOf(r), { method: r.method, headers, body: withBody ? r.body : undefined });
        } catch (err) {
          // A URL or header fetch itself refuses never reached the server: not a server failure.
          if (err instanceof TypeError && !/fetch failed/.test(err.message)) return;
          throw err;
        }
        const text = await res.text();
        seen.set(res.status, (seen.get(res.status) ?? 0) + 1);
        if (res.status >= 500) throw new Error(`${r.method} ${urlOf(r)} answered ${res.status}: ${text.slice(0, 300)}`);
      }),
      { numRuns: RUNS, seed: SEED },
    );
    const health = await fetch(`${base}/healthz`);
    expect(health.status).toBe(200);
    // The requests reached the handlers: not all refused at the door.
    expect([...seen.keys()].some((status) => status < 300)).toBe(true);
  }, 180_000);
});
