import { DECLARED_NAME } from '../../../src/portal/directory-names';
import { IDNAT, SPEC_RPPS, startPortalServer, textOf, type PortalServer } from './portal-harness';

// Attack sweep 11, family "data others write, shown to someone else" (issue 11: directory data is attack surface). A
// professional or a feeder may declare a directory entry for a person new to the directory, under any name: declared
// entries are named as such on the patient's pages (src/portal/directory-names.ts), but the search of the access page,
// where the patient picks whom to authorise or block, listed bare names. Found: an entry declared under the treating
// physician's name looked exactly like his; the patient authorised the impostor's number, or blocked it and left the
// real one in. Rule: each result shows its RPPS, and a declared entry carries DECLARED_NAME.

let s: PortalServer;
let cookie: string;

beforeAll(async () => {
  s = await startPortalServer();
  cookie = await s.sessionCookie('helene');
}, 120_000);
afterAll(() => s?.close());

describe('the directory search of the access page tells a declared entry from the directory\'s own', () => {
  it('an impostor\'s entry declared under the treating physician\'s name shows as declared, each with its RPPS', async () => {
    const impostor = { resourceType: 'Practitioner', identifier: [{ system: IDNAT, value: '810000000399' }], name: [{ prefix: ['Dr'], given: ['Claire'], family: 'MARTIN' }] };
    expect((await s.fhir(await s.token({ kind: 'practitioner', id: SPEC_RPPS }), 'POST', '/Practitioner', impostor)).status).toBe(201);
    const text = textOf((await s.page(cookie, '/portal/access?q=MARTIN')).html);
    // The two entries the patient chooses between: the directory's, and the one a sender declared.
    expect(text).toContain('Dr Claire MARTIN — RPPS 10000000001 Autorisé');
    expect(text).toContain(`Dr Claire MARTIN ${DECLARED_NAME} — RPPS 10000000399 Autorisé`);
    expect(text).toContain('Bloquer Dr Claire MARTIN — RPPS 10000000001');
    expect(text).toContain(`Bloquer Dr Claire MARTIN ${DECLARED_NAME} — RPPS 10000000399`);
  });
});
