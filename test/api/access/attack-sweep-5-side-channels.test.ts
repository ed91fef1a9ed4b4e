import { shape, useSweepServer, type Answer, type Who } from './sweep-4';

// Issue 11's outside check, fifth sweep, family "counts and side channels", over HTTP on the production composition.
// Rule (DESIGN §3, §5 "Hidden is absent"): a hidden resource answers exactly like a missing one — status, body, ETag,
// Location, Content-Location, Last-Modified (by presence) — in every form of request the server accepts, and what a
// reader is shown (bodies, totals, links, headers) does not change when a hidden row does. Sweeps 3 and 4 pinned the
// interactions, Bundles, conditional writes and counts; this one tries the HTTP-level forms: conditional reads
// (If-None-Match, If-Modified-Since), HEAD, Range, output formats and summaries, and what a search answer's headers and
// links carry. Fixture: d2 masked from spec; d1 in p1, which p2's patient and the blocked professional do not read; d4
// INVISIBLE_PATIENT (hidden from p1's patient); d5 INVISIBLE_REPRESENTANTS_LEGAUX (hidden from her guardian).

const { call } = useSweepServer('dmp-sweep5-side-');
const HIDDEN: [Who, string][] = [['spec', 'd2'], ['p2', 'd1'], ['blocked', 'd1'], ['patient', 'd4'], ['guardian', 'd5']];

type Form = [label: string, method: string, url: (id: string) => string, headers?: Record<string, string>];
const FORMS: Form[] = [
  ['If-None-Match', 'GET', (id) => `/DocumentReference/${id}`, { 'If-None-Match': 'W/"1"' }],
  ['If-None-Match *', 'GET', (id) => `/DocumentReference/${id}`, { 'If-None-Match': '*' }],
  ['If-Modified-Since', 'GET', (id) => `/DocumentReference/${id}`, { 'If-Modified-Since': 'Mon, 01 Jan 2000 00:00:00 GMT' }],
  ['If-Modified-Since (future)', 'GET', (id) => `/DocumentReference/${id}`, { 'If-Modified-Since': 'Fri, 01 Jan 2100 00:00:00 GMT' }],
  ['HEAD', 'HEAD', (id) => `/DocumentReference/${id}`],
  ['HEAD of the Binary', 'HEAD', (id) => `/Binary/${id}-bin`],
  ['Binary with Range', 'GET', (id) => `/Binary/${id}-bin`, { Range: 'bytes=0-3', Accept: 'text/plain' }],
  ['Binary as its native type', 'GET', (id) => `/Binary/${id}-bin`, { Accept: 'text/plain' }],
  ['Binary as octet-stream', 'GET', (id) => `/Binary/${id}-bin`, { Accept: 'application/octet-stream' }],
  ['Binary with If-None-Match', 'GET', (id) => `/Binary/${id}-bin`, { 'If-None-Match': 'W/"1"', Accept: 'text/plain' }],
  ['_format=xml', 'GET', (id) => `/DocumentReference/${id}?_format=xml`],
  ['Accept XML', 'GET', (id) => `/DocumentReference/${id}`, { Accept: 'application/fhir+xml' }],
  ['Accept nothing acceptable', 'GET', (id) => `/DocumentReference/${id}`, { Accept: 'image/png' }],
  ['_summary=true', 'GET', (id) => `/DocumentReference/${id}?_summary=true`],
  ['_summary=text', 'GET', (id) => `/DocumentReference/${id}?_summary=text`],
  ['_pretty', 'GET', (id) => `/DocumentReference/${id}?_pretty=true`],
  ['an unknown parameter, strict', 'GET', (id) => `/DocumentReference/${id}?zz=1`, { Prefer: 'handling=strict' }],
  ['vread of version 0', 'GET', (id) => `/DocumentReference/${id}/_history/0`],
  ['vread of a non-numeric version', 'GET', (id) => `/DocumentReference/${id}/_history/x`],
  ['trailing slash', 'GET', (id) => `/DocumentReference/${id}/`],
  ['an unknown operation on it', 'POST', (id) => `/DocumentReference/${id}/$zz`],
  ['a known operation of another type on it', 'GET', (id) => `/DocumentReference/${id}/$everything`],
];

async function expectSameAsMissing(who: Who, hidden: string, [label, method, url, headers]: Form, n: number): Promise<void> {
  const missing = `zz-missing-${n}`;
  const ask = (id: string): Promise<Answer> => call(who, method, url(id), undefined, headers ?? {});
  const [h, m] = [await ask(hidden), await ask(missing)];
  expect([who, label, ...shape(h, hidden)]).toEqual([who, label, ...shape(m, missing)]);
}

describe('a hidden document answers like a missing one in HTTP-level forms', () => {
  for (const [who, hidden] of HIDDEN) {
    it(`conditional reads, HEAD, Range, formats and summaries (${who}, ${hidden} hidden from him)`, async () => {
      for (const [n, form] of FORMS.entries()) await expectSameAsMissing(who, hidden, form, n);
    });
  }
});

describe('what a reader is shown does not move when a row hidden from him changes', () => {
  // A document masked from professionals is filed and changed; spec's answers — bodies, totals, links, ETag and Last-Modified headers — must not change.
  const SEARCHES = [
    '/DocumentReference?patient=Patient/p1&_total=accurate',
    '/DocumentReference?patient=Patient/p1&_summary=count',
    '/DocumentReference?patient=Patient/p1&_count=1&_sort=-_lastUpdated',
    '/DocumentReference?patient=Patient/p1&_count=1&_sort=_lastUpdated',
    '/Patient/p1/$everything?_count=2',
    '/DocumentReference/_history?_count=50',
    '/Observation?patient=Patient/p1&_summary=count',
    '/List?patient=Patient/p1&_summary=count',
    '/Patient/p1',
    '/Patient/p1/_history',
  ];
  const view = async (): Promise<string[][]> => {
    const out: string[][] = [];
    for (const url of SEARCHES) {
      const res = await call('spec', 'GET', url);
      // Links carry cursors, and a cursor carries its last row's key: compared too.
      out.push([url, ...shape(res, '\u0000')]);
    }
    return out;
  };

  it('spec\'s searches, $everything, history and the record\'s Patient, before and after the hidden documents change', async () => {
    const before = await view();
    // The treating physician files a document masked from professionals (MASQUE_PS), then changes its status.
    const A07 = 'https://mos.esante.gouv.fr/NOS/TRE_A07-StatutVisibiliteDocument/FHIR/TRE-A07-StatutVisibiliteDocument';
    const filed = await call('gp', 'POST', '/DocumentReference', {
      resourceType: 'DocumentReference', status: 'current', subject: { reference: 'Patient/p1' },
      securityLabel: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-Confidentiality', code: 'N' }] }, { coding: [{ system: A07, code: 'MASQUE_PS' }] }],
      content: [{ attachment: { contentType: 'text/plain', data: Buffer.from('bilan').toString('base64') } }],
    });
    expect(filed.status).toBe(201);
    const res = await call('gp', 'PATCH', `/DocumentReference/${filed.body.id}`, [{ op: 'replace', path: '/status', value: 'superseded' }], { 'Content-Type': 'application/json-patch+json' });
    expect(res.status).toBe(200);
    expect((await call('spec', 'GET', `/DocumentReference/${filed.body.id}`)).status).toBe(404);
    const after = await view();
    expect(after).toEqual(before);
  });
});
