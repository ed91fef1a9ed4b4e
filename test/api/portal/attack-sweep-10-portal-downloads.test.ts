import { GP_RPPS, startPortalServer, type PortalServer } from './portal-harness';

// Issue 11, attack sweep 10 (portal): a document's original is served from the portal's own origin, so its
// Content-Type decides what the patient's browser does with it. The type is the writer's choice (here the treating
// physician's, through the FHIR API): a browser reads `image/png,text/html` as text/html (Fetch, "extract a MIME
// type": the last type of the list), which would render the writer's HTML as a page of the portal (a meta refresh to
// a look-alike sign-in, forms). The portal serves one well-formed type, in place only for PDF, PNG and JPEG.

let s: PortalServer;
let cookie: string;
let gp: string;

const HTML = '<h1>Votre session a expiré</h1><meta http-equiv="refresh" content="0;url=https://evil.example/connexion">';

/** A document of Hélène's written by her treating physician: its DocumentReference declares `declared`, its Binary `stored`. */
async function documentWith(declared: string, stored: string, bytes: string): Promise<string> {
  const doc = 'urn:uuid:0b3f5c7e-1d2a-4c6b-9e8f-a1b2c3d4e5f6';
  const bin = 'urn:uuid:6f5e4d3c-2b1a-4f0e-8d9c-7b6a5f4e3d2c';
  const res = await s.fhir(gp, 'POST', '', {
    resourceType: 'Bundle', type: 'transaction', entry: [
      { fullUrl: doc, request: { method: 'POST', url: 'DocumentReference' }, resource: {
        resourceType: 'DocumentReference', status: 'current', subject: { reference: 'Patient/helene' }, type: { text: 'Photographie' },
        content: [{ attachment: { contentType: declared, url: bin, title: 'Photographie de la lésion' } }],
      } },
      { fullUrl: bin, request: { method: 'POST', url: 'Binary' }, resource: { resourceType: 'Binary', contentType: stored, securityContext: { reference: doc }, data: Buffer.from(bytes).toString('base64') } },
    ],
  });
  expect(res.status).toBe(200);
  return /DocumentReference\/([^/]+)/.exec(res.body.entry[0].response.location)?.[1] as string;
}

beforeAll(async () => {
  s = await startPortalServer();
  gp = await s.token({ kind: 'practitioner', id: GP_RPPS });
  cookie = await s.sessionCookie('helene');
}, 120_000);
afterAll(() => s?.close());

test('a Binary typed "image/png,text/html" is not served as a list a browser reads as HTML, nor in place', async () => {
  const id = await documentWith('image/png', 'image/png,text/html', HTML);
  const res = await s.page(cookie, `/portal/documents/${id}/original?inline=1`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toBe('application/octet-stream');
  expect(res.headers.get('content-disposition')).toMatch(/^attachment;/);
  expect(res.headers.get('content-security-policy')).toMatch(/^sandbox;/);
  // The bytes themselves are the original, unchanged.
  expect(res.html).toBe(HTML);
});

test('a type with a parameter hiding a second type ("image/png;x=a,text/html") is downloaded as octet-stream', async () => {
  const id = await documentWith('image/png', 'image/png;x=a,text/html', HTML);
  const res = await s.page(cookie, `/portal/documents/${id}/original?inline=1`);
  expect(res.headers.get('content-type')).toBe('application/octet-stream');
  expect(res.headers.get('content-disposition')).toMatch(/^attachment;/);
});

test('an HTML original is a sandboxed download, never a portal page', async () => {
  const id = await documentWith('text/html', 'text/html', HTML);
  const res = await s.page(cookie, `/portal/documents/${id}/original?inline=1`);
  expect(res.headers.get('content-type')).toBe('text/html');
  expect(res.headers.get('content-disposition')).toMatch(/^attachment;/);
  expect(res.headers.get('content-security-policy')).toMatch(/^sandbox;/);
});

test('a PNG typed with a parameter is still shown in place, served as plain image/png', async () => {
  const png = '\x89PNG\r\n\x1a\n';
  const id = await documentWith('image/png', 'image/png; name=lesion', png);
  const res = await s.page(cookie, `/portal/documents/${id}/original?inline=1`);
  expect(res.headers.get('content-type')).toBe('image/png');
  expect(res.headers.get('content-disposition')).toMatch(/^inline;/);
  expect(res.headers.get('content-security-policy')).not.toMatch(/sandbox/);
});

test('the refusal of an unreadable upload form is served with the portal\'s headers (CSP, no-store, nosniff)', async () => {
  const res = await fetch(`${s.server.url}/portal/add/document`, { method: 'POST', headers: { cookie, 'content-type': 'multipart/form-data' }, body: 'x', redirect: 'manual' });
  expect(res.status).toBe(400);
  expect(res.headers.get('content-security-policy')).toContain("script-src 'none'");
  expect(res.headers.get('cache-control')).toBe('no-store');
  expect(res.headers.get('x-content-type-options')).toBe('nosniff');
});
