import { VISIBILITY_SYSTEM } from '../../../src/documents/security-labels';
import { RPPS } from './fixture';
import { shape, useSweepServer, type Answer } from './sweep-4';

// Issue 11: a feeder "cannot read" (src/access/README.md, actors table) — yet it changes the status and labels of the
// documents it submitted (PDSm, TD3.3), so its metadata PATCH reaches a document it does not read (metadata-update.ts).
// Found: a PATCH made only of JSON Patch `test` operations (or of no operation at all) changed nothing, yet was answered
// 200 with the document's current version — a read, showing what others did to it since (its author's MASQUE_PS flag),
// and writing an identical version in the feeder's name; a failing test answered 422, a holding one 200, so `test`
// read any field one comparison at a time, beside a change too, silently (nothing written when it fails).
// Rule: what changes nothing is a read, and a feeder reads no document: a feeder's PATCH of a DocumentReference holding
// a `test`, or no change at all, is refused (403) before any document is looked up — one answer for its own document,
// another feeder's and a missing id, nothing written. Its change alone still runs and is answered as a write is (the
// echo of what it wrote). A professional who reads the document keeps JSON Patch as RFC 6902 has it.

const { call } = useSweepServer('dmp-feeder-patch-');
const OTHER_FEEDER = { kind: 'system' as const, id: 'other-lab-feeder' };
const JSON_PATCH = { 'Content-Type': 'application/json-patch+json' };
const MISSING = '0d0c0b0a-0000-4000-8000-000000000000';

const documentOf = () => ({
  resourceType: 'DocumentReference',
  status: 'current',
  subject: { reference: 'Patient/p1' },
  type: { coding: [{ system: 'http://loinc.org', code: '11488-4' }] },
  author: [{ identifier: { system: 'urn:oid:1.2.250.1.71.4.2.1', value: `8${RPPS.gp}` } }],
  content: [{ attachment: { contentType: 'text/plain', data: Buffer.from('compte rendu').toString('base64') } }],
});
const MASKED = { coding: [{ system: VISIBILITY_SYSTEM, code: 'MASQUE_PS' }] };

/** The PATCH forms that change nothing or test the document, each sent about one id. */
const READING_FORMS: [string, (id: string) => [string, string, unknown, Record<string, string>]][] = [
  ['a test that holds', (id) => ['PATCH', `/DocumentReference/${id}`, [{ op: 'test', path: '/status', value: 'current' }], JSON_PATCH]],
  ['a test that fails', (id) => ['PATCH', `/DocumentReference/${id}`, [{ op: 'test', path: '/status', value: 'superseded' }], JSON_PATCH]],
  ['a test of the author\'s flag', (id) => ['PATCH', `/DocumentReference/${id}`, [{ op: 'test', path: '/securityLabel/0', value: MASKED }], JSON_PATCH]],
  ['tests alone, asking for the representation', (id) => ['PATCH', `/DocumentReference/${id}`, [{ op: 'test', path: '/status', value: 'current' }], { ...JSON_PATCH, Prefer: 'return=representation' }]],
  ['a test beside a status change', (id) => ['PATCH', `/DocumentReference/${id}`, [{ op: 'test', path: '/status', value: 'current' }, { op: 'replace', path: '/status', value: 'superseded' }], JSON_PATCH]],
  ['an empty JSON Patch', (id) => ['PATCH', `/DocumentReference/${id}`, [], JSON_PATCH]],
  ['a FHIRPath Patch with no operation', (id) => ['PATCH', `/DocumentReference/${id}`, { resourceType: 'Parameters' }, {}]],
  ['tests alone as a transaction entry', (id) => ['POST', '', {
    resourceType: 'Bundle', type: 'transaction',
    entry: [{ request: { method: 'PATCH', url: `DocumentReference/${id}` }, resource: { resourceType: 'Binary', contentType: 'application/json-patch+json', data: Buffer.from(JSON.stringify([{ op: 'test', path: '/status', value: 'current' }])).toString('base64') } }],
  }, {}]],
];

let own = '';
let others = '';

/** The document as its author reads it (version, status, labels). */
async function asTheAuthorReads(id: string): Promise<unknown[]> {
  const res = await call('gp', 'GET', `/DocumentReference/${id}`);
  return [res.status, res.body.meta.versionId, res.body.status, res.body.securityLabel];
}

beforeAll(async () => {
  const mine = await call('feeder', 'POST', '/DocumentReference', documentOf());
  const theirs = await call(OTHER_FEEDER, 'POST', '/DocumentReference', documentOf());
  expect([mine.status, theirs.status]).toEqual([201, 201]);
  [own, others] = [mine.body.id, theirs.body.id];
  // Since submitted, its author masked it from professionals: what the feeder does not read.
  const masked = await call('gp', 'PATCH', `/DocumentReference/${own}`, [{ op: 'add', path: '/securityLabel/-', value: MASKED }], JSON_PATCH);
  expect(masked.status).toBe(200);
});

describe("a feeder's PATCH that tests its document or changes nothing", () => {
  test.each(READING_FORMS.map(([label, form]) => [label, form]))('%s: 403 before any look-up, nothing shown, nothing written', async (_label, form) => {
    const before = await asTheAuthorReads(own);
    const answer: Answer = await call('feeder', ...form(own));
    expect(answer.status).toBe(403);
    expect(answer.body.resourceType).toBe('OperationOutcome');
    expect(answer.text).not.toMatch(/MASQUE_PS|compte rendu|"DocumentReference"/);
    expect(await asTheAuthorReads(own)).toEqual(before);
    // The same answer for another feeder's document and for an id nobody holds: it tells nothing of either.
    expect(shape(await call('feeder', ...form(others)), others)).toEqual(shape(answer, own));
    expect(shape(await call('feeder', ...form(MISSING)), MISSING)).toEqual(shape(answer, own));
  });
});

describe('what still runs', () => {
  it("a professional who reads the document tests it as RFC 6902 says: 200 when the test holds, 422 when it fails", async () => {
    const [, , status] = await asTheAuthorReads(own);
    const holds = await call('gp', 'PATCH', `/DocumentReference/${own}`, [{ op: 'test', path: '/status', value: status }], JSON_PATCH);
    expect([holds.status, holds.body.id]).toEqual([200, own]);
    const fails = await call('gp', 'PATCH', `/DocumentReference/${own}`, [{ op: 'test', path: '/status', value: 'entered-in-error' }], JSON_PATCH);
    expect(fails.status).toBe(422);
  });

  it("the feeder's status change alone is its to make (PDSm): 200, written", async () => {
    const changed = await call('feeder', 'PATCH', `/DocumentReference/${own}`, [{ op: 'replace', path: '/status', value: 'superseded' }], JSON_PATCH);
    expect([changed.status, changed.body.status]).toEqual([200, 'superseded']);
    expect((await asTheAuthorReads(own))[2]).toBe('superseded');
  });
});
