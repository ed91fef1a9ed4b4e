import { startPortalServer, textOf, type PortalServer } from './portal-harness';

// Attack sweep 11, family "data others write, shown to someone else". A bidi override (U+202E) or isolate in a name
// reorders the rest of the line the portal shows it in: "Dr X a consulté …" reads backwards, a name reads as another.
// Writes now refuse them in names and titles (attack-sweep-11-displayed-values); a value stored before that rule (here
// written by the server itself, which the rule does not stop) is shown without them: the one HTML escaper drops them.

let s: PortalServer;
let cookie: string;

beforeAll(async () => {
  s = await startPortalServer();
  cookie = await s.sessionCookie('helene');
  // The treating physician's entry as an old import could have stored it.
  const gp = { resourceType: 'Practitioner', id: 'gp', identifier: [{ system: 'urn:oid:1.2.250.1.71.4.2.1', value: '810000000001' }], name: [{ prefix: ['Dr'], given: ['Claire'], family: 'MARTIN\u202E\u2067' }] };
  await s.server.service.repo.update(s.systemContext(), gp as never);
}, 120_000);
afterAll(() => s?.close());

test('a stored name carrying U+202E or U+2067 is shown without them, on the access page and in its directory search', async () => {
  for (const path of ['/portal/access', '/portal/access?q=MARTIN']) {
    const page = await s.page(cookie, path);
    expect(page.status).toBe(200);
    // The name is there (the comparison can fail), its controls are not.
    expect(textOf(page.html)).toContain('Dr Claire MARTIN');
    expect(page.html).not.toMatch(/[\u202A-\u202E\u2066-\u2069]/);
  }
});
