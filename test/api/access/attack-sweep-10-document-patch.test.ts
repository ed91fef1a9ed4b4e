import type { MintOptions } from '../../../src/auth/mint-token';
import { byRpps, consent } from './fixture';
import { shape, useSweepServer, type Answer, type Who } from './sweep-4';

// Issue 11's outside check, tenth sweep, family "PATCH", over HTTP on the production composition.
// Rule (src/access/README.md "Hidden means absent everywhere"; sweep 4 "moving a row into a record the writer does not
// see answers as a missing record"): a document hidden from its caller answers every request, writes included, exactly
// as a document that does not exist. The professional who wrote a document stops reading it when the patient blocks him
// or closes the record. Yet the metadata PATCH of a DocumentReference (TD3.3) looked the document up among those the
// caller wrote or authored, seen or not — a widening meant for feeders, who read nothing and patch the status of what
// they submitted — and ran the patch on it: a JSON Patch `test` operation then read the hidden document field by field
// (422 "Test operation failed" or not), and the 403 "not authorised to write in this record" told him he was blocked
// (or the record closed), where a missing document answers 404. Worse for patients, whose writes and their guardians'
// are all recorded as the record's (`Patient/<id>`): the minor patched a document filed by his parent and flagged hidden
// from the patient (INVISIBLE_PATIENT) with tests alone, and was answered 200 with the whole document (such a document
// can no longer be filed: attack-sweep-10-patient-flags.test.ts).
// Fixture: p1 open (the patient authorises, then blocks Dr X); p2 open (authorises Dr X, then closes the record).

const { call } = useSweepServer('dmp-sweep10-patch-');
const X = { kind: 'practitioner' as const, id: '10000000101' };
const JSON_PATCH = { 'Content-Type': 'application/json-patch+json' };
const MISSING = '0d0c0b0a-0000-4000-8000-000000000000';

const documentOf = (patient: string) => ({
  resourceType: 'DocumentReference',
  status: 'current',
  subject: { reference: `Patient/${patient}` },
  type: { coding: [{ system: 'http://loinc.org', code: '11488-4' }] },
  content: [{ attachment: { contentType: 'text/plain', data: Buffer.from('compte rendu').toString('base64') } }],
});

/** The PATCH forms a caller may send about one document id, each answered for that id. */
type Caller = Who | MintOptions;
const FORMS: [string, (who: Caller, id: string) => Promise<Answer>][] = [
  ['a JSON Patch test that holds', (who, id) => call(who, 'PATCH', `/DocumentReference/${id}`, [{ op: 'test', path: '/status', value: 'current' }], JSON_PATCH)],
  ['a JSON Patch test that fails', (who, id) => call(who, 'PATCH', `/DocumentReference/${id}`, [{ op: 'test', path: '/status', value: 'superseded' }], JSON_PATCH)],
  ['a JSON Patch test on the subject', (who, id) => call(who, 'PATCH', `/DocumentReference/${id}`, [{ op: 'test', path: '/subject/reference', value: 'Patient/p1' }], JSON_PATCH)],
  ['a JSON Patch of tests alone, asking for the representation', (who, id) => call(who, 'PATCH', `/DocumentReference/${id}`, [{ op: 'test', path: '/status', value: 'current' }], { ...JSON_PATCH, Prefer: 'return=representation' })],
  ['a status change', (who, id) => call(who, 'PATCH', `/DocumentReference/${id}`, [{ op: 'replace', path: '/status', value: 'superseded' }], JSON_PATCH)],
  ['a status change pinned to version 1', (who, id) => call(who, 'PATCH', `/DocumentReference/${id}`, [{ op: 'replace', path: '/status', value: 'superseded' }], { ...JSON_PATCH, 'If-Match': 'W/"1"' })],
  ['a FHIRPath Patch of the status', (who, id) => call(who, 'PATCH', `/DocumentReference/${id}`, {
    resourceType: 'Parameters',
    parameter: [{ name: 'operation', part: [{ name: 'type', valueCode: 'replace' }, { name: 'path', valueString: 'DocumentReference.status' }, { name: 'value', valueCode: 'superseded' }] }],
  })],
  ['a body that is no patch', (who, id) => call(who, 'PATCH', `/DocumentReference/${id}`, '"garbage"', JSON_PATCH)],
  ['a transaction entry', (who, id) => call(who, 'POST', '', {
    resourceType: 'Bundle', type: 'transaction',
    entry: [{ request: { method: 'PATCH', url: `DocumentReference/${id}` }, resource: { resourceType: 'Binary', contentType: 'application/json-patch+json', data: Buffer.from(JSON.stringify([{ op: 'test', path: '/status', value: 'superseded' }])).toString('base64') } }],
  })],
];

async function expectAbsent(who: Caller, id: string): Promise<void> {
  expect((await call(who, 'GET', `/DocumentReference/${id}`)).status).toBe(404);
  for (const [label, send] of FORMS) {
    expect([label, ...shape(await send(who, id), id)]).toEqual([label, ...shape(await send(who, MISSING), MISSING)]);
  }
}

describe('a document its writer no longer reads answers his PATCH as a missing one', () => {
  let inP1 = '';
  let inP2 = '';

  it('the comparison can fail: while authorised, Dr X reads his document and a failing test answers 422, not 404', async () => {
    for (const [who, patient] of [['patient', 'p1'], ['p2', 'p2']] as const) {
      const permit = await call(who, 'POST', '/Consent', { ...consent('x', patient, { type: 'permit', actor: [byRpps(X.id)] }), id: undefined });
      expect(permit.status).toBe(201);
    }
    const one = await call(X, 'POST', '/DocumentReference', documentOf('p1'));
    const two = await call(X, 'POST', '/DocumentReference', documentOf('p2'));
    expect([one.status, two.status]).toEqual([201, 201]);
    [inP1, inP2] = [one.body.id as string, two.body.id as string];
    const failing = FORMS[1][1];
    expect((await failing(X, inP1)).status).toBe(422);
    expect((await failing(X, MISSING)).status).toBe(404);
  });

  it('once the patient blocks him: no test reads the document, no 403 tells him of the block', async () => {
    const block = await call('patient', 'POST', '/Consent', { ...consent('x', 'p1', { type: 'deny', actor: [byRpps(X.id)] }), id: undefined });
    expect(block.status).toBe(201);
    await expectAbsent(X, inP1);
  });

  it('once the patient closes his record: the same', async () => {
    const closed = await call('p2', 'POST', '/Patient/p2/$close', { resourceType: 'Parameters', parameter: [{ name: 'reason', valueCode: 'patient-request' }] });
    expect(closed.status).toBe(200);
    await expectAbsent(X, inP2);
  });

  it('nothing was changed by the attempts: the patients still read both documents as written', async () => {
    expect((await call('patient', 'GET', `/DocumentReference/${inP1}`)).body.status).toBe('current');
    const own = await call('p2', 'GET', `/DocumentReference/${inP2}`);
    expect([own.body.status, own.body.meta.versionId]).toEqual(['current', '1']);
  });
});
