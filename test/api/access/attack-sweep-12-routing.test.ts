import { request as httpRequest } from 'node:http';
import type { Bundle } from '@medplum/fhirtypes';
import { shape, useSweepServer, type Answer, type Who } from './sweep-4';

// Issue 11's outside check, twelfth sweep, family "request routing and parsing": forms of request the access matrix
// does not generate — method overrides, unusual methods, path spellings, compartment URLs, operations the server does not
// offer, nested Bundles, a search's body — asked by actors holding an ordinary token about a document hidden from them.
// Rules (DESIGN §3, §5; src/access/README.md "What the server offers", "Hidden is absent"): what the router does not
// serve answers 404/405 before any data is touched, the same for a hidden id and a missing one; a method is the
// request's method (no override header or parameter changes it); a search's parameters are those of its URL or form
// body, and a body the search cannot read is refused (415), not ignored into a wider answer. All held when this sweep
// ran except the search's body (a JSON body posted to _search, or a resource in a Bundle's search entry, was ignored:
// the search answered every row the caller may see, unfiltered).
// Fixture: d1 in p1 (which p2's patient, the unauthorised professional and the feeder do not read), d4 INVISIBLE_PATIENT
// (hidden from p1's patient), d5 INVISIBLE_REPRESENTANTS_LEGAUX (hidden from her guardian).

const { call, run, token } = useSweepServer('dmp-sweep12-routing-');

/**
 * A request sent with its path exactly as written: fetch (WHATWG URL) resolves `.`, `..` and their encoded forms
 * (`%2e%2e`) before sending, and refuses TRACE; node:http sends both as they are, as an attacker's client would.
 */
async function asWritten(who: Who, method: string, path: string, headers: Record<string, string> = {}): Promise<Answer> {
  const url = new URL(run.server.fhirUrl);
  const bearer = await token(who);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: url.hostname, port: url.port, method, path: `${url.pathname}${path}`, headers: { Authorization: `Bearer ${bearer}`, ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        const h = new Headers();
        for (const [k, v] of Object.entries(res.headers)) if (typeof v === 'string') h.set(k, v);
        let body: unknown;
        try { body = text ? JSON.parse(text) : undefined; } catch { body = undefined; }
        resolve({ status: res.statusCode ?? 0, headers: h, text, body });
      });
    });
    req.on('error', reject);
    req.end();
  });
}
const HIDDEN: [Who, string][] = [['p2', 'd1'], ['unauth', 'd1'], ['feeder', 'd1'], ['patient', 'd4'], ['guardian', 'd5']];
const FORM = { 'Content-Type': 'application/x-www-form-urlencoded' };

type Form = [label: string, method: string, url: (id: string) => string, headers?: Record<string, string>];
const FORMS: Form[] = [
  ['X-HTTP-Method-Override: DELETE on a GET', 'GET', (id) => `/DocumentReference/${id}`, { 'X-HTTP-Method-Override': 'DELETE' }],
  ['X-HTTP-Method: PUT on a GET', 'GET', (id) => `/DocumentReference/${id}`, { 'X-HTTP-Method': 'PUT' }],
  ['X-Method-Override: GET on a POST', 'POST', (id) => `/DocumentReference/${id}`, { 'X-Method-Override': 'GET' }],
  ['_method=GET on a POST', 'POST', (id) => `/DocumentReference/${id}?_method=GET`],
  ['OPTIONS', 'OPTIONS', (id) => `/DocumentReference/${id}`],
  ['TRACE', 'TRACE', (id) => `/DocumentReference/${id}`],
  ['PROPFIND', 'PROPFIND', (id) => `/DocumentReference/${id}`],
  ['SEARCH', 'SEARCH', (id) => `/DocumentReference/${id}`],
  ['QUERY', 'QUERY', (id) => `/DocumentReference/${id}`],
  ['PURGE', 'PURGE', (id) => `/DocumentReference/${id}`],
  ['LOCK', 'LOCK', (id) => `/DocumentReference/${id}`],
  ['a compartment search by its record', 'GET', (id) => `/Patient/p1/DocumentReference?_id=${id}`],
  ['a compartment wildcard', 'GET', (id) => `/Patient/p1/*?_id=${id}`],
  ['double slashes', 'GET', (id) => `//DocumentReference//${id}`],
  ['an encoded slash', 'GET', (id) => `/DocumentReference%2F${id}`],
  ['an encoded slash after the id', 'GET', (id) => `/DocumentReference/${id}%2F`],
  ['the id percent-encoded', 'GET', (id) => `/DocumentReference/${[...id].map((c) => `%${c.charCodeAt(0).toString(16)}`).join('')}`],
  ['the type in lower case', 'GET', (id) => `/documentreference/${id}`],
  ['a dot segment', 'GET', (id) => `/DocumentReference/./${id}`],
  ['a dot-dot segment, encoded', 'GET', (id) => `/DocumentReference/%2e%2e/DocumentReference/${id}`],
  ['a dot-dot segment after the id', 'GET', (id) => `/DocumentReference/${id}/..`],
  ['a matrix parameter', 'GET', (id) => `/DocumentReference/${id};v=1`],
  ['a trailing space', 'GET', (id) => `/DocumentReference/${id}%20`],
  ['$validate on it', 'POST', (id) => `/DocumentReference/${id}/$validate`],
  ['$meta on it', 'GET', (id) => `/DocumentReference/${id}/$meta`],
  ['$meta-add on it', 'POST', (id) => `/DocumentReference/${id}/$meta-add`],
  ['$meta-delete on it', 'POST', (id) => `/DocumentReference/${id}/$meta-delete`],
  ['$expand on it', 'GET', (id) => `/DocumentReference/${id}/$expand`],
  ['$everything on it', 'GET', (id) => `/DocumentReference/${id}/$everything`],
  ['$reindex on it', 'POST', (id) => `/DocumentReference/${id}/$reindex`],
];

async function expectSameAsMissing(who: Who, hidden: string, [label, method, url, headers]: Form, n: number): Promise<void> {
  const missing = `zz-missing-${n}`;
  const ask = (id: string): Promise<Answer> => asWritten(who, method, url(id), headers ?? {});
  const [h, m] = [await ask(hidden), await ask(missing)];
  expect([who, label, ...shape(h, hidden)]).toEqual([who, label, ...shape(m, missing)]);
  expect([who, label, h.status]).not.toEqual([who, label, 200]);
}

describe('a hidden document answers like a missing one to forms the router does not serve', () => {
  for (const [who, hidden] of HIDDEN) {
    it(`overrides, unusual methods, path spellings, compartment URLs, unoffered operations (${who}, ${hidden} hidden from him)`, async () => {
      for (const [n, form] of FORMS.entries()) await expectSameAsMissing(who, hidden, form, n);
    });
  }

  it('a method override changes nothing: d1-obs is still there for p1\'s patient, unchanged', async () => {
    for (const [header, method] of [['X-HTTP-Method-Override', 'DELETE'], ['X-HTTP-Method', 'DELETE'], ['X-Method-Override', 'DELETE']]) {
      expect((await call('patient', 'GET', '/Observation/d1-obs', undefined, { [header]: method })).status).toBe(200);
      expect((await call('patient', 'POST', '/Observation/d1-obs?_method=DELETE', undefined, { [header]: method })).status).toBe(405);
    }
    const read = await call('patient', 'GET', '/Observation/d1-obs');
    expect([read.status, read.body?.meta?.versionId]).toEqual([200, '1']);
  });

  it('a Bundle nested in a Bundle reads a hidden document as missing', async () => {
    const nested = (id: string) => ({
      resourceType: 'Bundle', type: 'batch',
      entry: [{ request: { method: 'POST', url: '/' }, resource: { resourceType: 'Bundle', type: 'batch', entry: [{ request: { method: 'GET', url: `DocumentReference/${id}` } }] } }],
    });
    // Its entry is a write of a Bundle, so the first one compiles the validator (seconds, a minute on a loaded machine).
    for (const [who, hidden] of HIDDEN.filter(([w]) => w === 'p2' || w === 'patient')) {
      const [h, m] = [await call(who, 'POST', '/', nested(hidden)), await call(who, 'POST', '/', nested('zz-missing'))];
      expect([who, h.status]).toEqual([who, 200]);
      expect([who, ...shape(h, hidden)]).toEqual([who, ...shape(m, 'zz-missing')]);
    }
  }, 240_000);
});

describe('a search reads its parameters from the URL or a form, and refuses a body it cannot read', () => {
  it('a JSON body posted to _search is refused (415), not ignored into every row the caller may see', async () => {
    const parameters = { resourceType: 'Parameters', parameter: [{ name: '_id', valueString: 'd1' }] };
    for (const type of ['application/fhir+json', 'application/json']) {
      const res = await call('patient', 'POST', '/DocumentReference/_search', parameters, { 'Content-Type': type });
      expect([type, res.status, res.body?.resourceType]).toEqual([type, 415, 'OperationOutcome']);
    }
    expect((await call('patient', 'POST', '/DocumentReference/_search', '_id=d1', { 'Content-Type': 'text/plain' })).status).toBe(415);
  });

  it('a Bundle\'s search entry carrying a resource is refused (400), not answered unfiltered', async () => {
    const parameters = { resourceType: 'Parameters', parameter: [{ name: '_id', valueString: 'd1' }] };
    const batch = await call('patient', 'POST', '/', { resourceType: 'Bundle', type: 'batch', entry: [{ request: { method: 'POST', url: 'DocumentReference/_search' }, resource: parameters }] });
    expect(batch.status).toBe(200);
    const entry = (batch.body as Bundle).entry?.[0];
    expect([entry?.response?.status, entry?.resource]).toEqual(['400', undefined]);
    // Its parameters in request.url: answered as asked.
    const asked = await call('patient', 'POST', '/', { resourceType: 'Bundle', type: 'batch', entry: [{ request: { method: 'POST', url: 'DocumentReference/_search?_id=d1' } }] });
    expect(((asked.body as Bundle).entry?.[0]?.resource as Bundle | undefined)?.entry?.map((e) => e.resource?.id)).toEqual(['d1']);
  });

  it('a form body is read, together with the URL\'s parameters (both must hold)', async () => {
    const ids = async (url: string, body: string) => ((await call('patient', 'POST', url, body, FORM)).body as Bundle).entry?.map((e) => e.resource?.id) ?? [];
    expect(await ids('/DocumentReference/_search', '_id=d1')).toEqual(['d1']);
    expect(await ids('/DocumentReference/_search?_id=d1', '_id=d2')).toEqual([]);
    // The patient does not read d4 (INVISIBLE_PATIENT): named in the URL or the body, it is not found.
    expect(await ids('/DocumentReference/_search?_id=d1,d4', '_id=d4,d1')).toEqual(['d1']);
  });
});

describe('a paging link is a position, never a grant', () => {
  it('replayed by another actor, spec\'s next links answer that actor\'s own view (nothing of p1 for unauth and p2)', async () => {
    const next = (b: Bundle) => (b.link?.find((l) => l.relation === 'next')?.url as string).replace(/^.*?\/fhir/, '');
    const search = next((await call('spec', 'GET', '/DocumentReference?patient=p1&_count=1')).body as Bundle);
    const everything = next((await call('spec', 'GET', '/Patient/p1/$everything?_count=1')).body as Bundle);
    for (const who of ['unauth', 'p2', 'feeder'] as const) {
      const page = await call(who, 'GET', search);
      expect([who, page.status, (page.body as Bundle).total, (page.body as Bundle).entry ?? []]).toEqual([who, 200, 0, []]);
      const missing = await call(who, 'GET', everything.replace('Patient/p1', 'Patient/zz-missing'));
      const replayed = await call(who, 'GET', everything);
      expect([who, ...shape(replayed, 'p1')]).toEqual([who, ...shape(missing, 'zz-missing')]);
    }
    // p1's patient replaying it reads his own documents from that position (d4, INVISIBLE_PATIENT, not among them).
    const own = await call('patient', 'GET', search);
    expect(own.status).toBe(200);
    expect(((own.body as Bundle).entry ?? []).map((e) => e.resource?.id)).not.toContain('d4');
  });
});

describe('the trail\'s own fields stay the server\'s in every form that reads AuditEvents', () => {
  it('no hash chain (sequence, previous hash) in $everything, _revinclude, system history or a batch', async () => {
    const trail = await call('patient', 'GET', '/AuditEvent?patient=p1&_count=1');
    const eventId = (trail.body as Bundle).entry?.[0]?.resource?.id as string;
    const forms: [string, string, unknown?][] = [
      ['GET', '/Patient/p1/$everything?_type=AuditEvent&_count=5'],
      ['GET', '/Patient?_id=p1&_revinclude=AuditEvent:patient'],
      ['GET', '/_history?_count=100'],
      ['GET', `/AuditEvent/${eventId}/_history`],
      ['POST', '/', { resourceType: 'Bundle', type: 'batch', entry: [{ request: { method: 'GET', url: `AuditEvent/${eventId}` } }] }],
    ];
    for (const [method, url, body] of forms) {
      const res = await call('patient', method, url, body);
      expect([url, res.status, res.text.includes('"resourceType":"AuditEvent"')]).toEqual([url, 200, true]);
      expect([url, res.text.includes('audit-hash-chain'), res.text.includes('previousHash')]).toEqual([url, false, false]);
    }
  });
});
