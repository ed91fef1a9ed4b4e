import { SOURCE_DOCUMENT_URL } from '../../../src/store/derived-columns';
import { RPPS } from './fixture';
import { useFixtureApp } from './fixture-app';

// Issue 11: fields only the server sets cannot come from a client. The source-document extension ties a resource to
// the document it was extracted from (it then follows that document's masks, visibility and author, and changes only
// by replacing the document): only the importer sets it. A client sending it gets 422 on every write form; restating
// it unchanged on a row he can see is not a forgery (that row is document data, 403 "replace the document"); a row
// hidden from him answers like a missing one. meta.versionId and meta.lastUpdated are the server's too: what a client
// sends there is replaced.

const { get, send } = useFixtureApp({
  spec: { kind: 'practitioner', id: RPPS.spec }, // authorised in p1's record; d2 is masked from him
  patient: { kind: 'patient', id: 'p1' },
  insurer: { kind: 'system', id: 'mutuelle', category: 'insurer' },
});

const fromDocument = (doc: string) => [{ url: SOURCE_DOCUMENT_URL, valueReference: { reference: `DocumentReference/${doc}` } }];
const observation = (extra: Record<string, unknown> = {}) => ({ resourceType: 'Observation', status: 'final', code: { text: 'glycémie' }, subject: { reference: 'Patient/p1' }, ...extra });
const count = async (): Promise<number> => (await get('patient', '/fhir/Observation?subject=Patient/p1&_summary=count')).body.total;

/** Asserts the clear 422 the rules call for, and that it names the extension. */
function expectForgeryRefused(res: { status: number; body: any }): void {
  expect(res.status).toBe(422);
  expect(res.body.resourceType).toBe('OperationOutcome');
  expect(res.body.issue[0].diagnostics).toMatch(/source-document extension .* is set by the server's document import only/);
}

describe('the source-document extension is the importer’s alone', () => {
  it('refuses a professional creating an Observation that claims to come from a document (422), and writes nothing', async () => {
    const before = await count();
    const res = await send('spec', 'post', '/fhir/Observation', observation({ extension: fromDocument('d1') }));
    expectForgeryRefused(res);
    expect(res.body.issue[0].expression).toEqual(['Observation.extension[0].url']);
    expect(await count()).toBe(before);
  });

  it('refuses the patient doing the same with his own entry', async () => {
    expectForgeryRefused(await send('patient', 'post', '/fhir/Observation', observation({ extension: fromDocument('d1') })));
  });

  it('refuses adding it to one’s own entry by PUT, JSON Patch and FHIRPath Patch', async () => {
    const created = await send('spec', 'post', '/fhir/Observation', observation());
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    expectForgeryRefused(await send('spec', 'put', `/fhir/Observation/${id}`, { ...created.body, extension: fromDocument('d1') }));
    const patch = await send('spec', 'patch', `/fhir/Observation/${id}`, [{ op: 'add', path: '/extension', value: fromDocument('d1') }]).set('Content-Type', 'application/json-patch+json');
    expectForgeryRefused(patch);
    const fhirPathPatch = {
      resourceType: 'Parameters',
      parameter: [{ name: 'operation', part: [
        { name: 'type', valueCode: 'add' }, { name: 'path', valueString: 'Observation' }, { name: 'name', valueString: 'extension' },
        { name: 'value', part: [{ name: 'url', valueUri: SOURCE_DOCUMENT_URL }, { name: 'valueReference', valueReference: { reference: 'DocumentReference/d1' } }] },
      ] }],
    };
    expectForgeryRefused(await send('spec', 'patch', `/fhir/Observation/${id}`, fhirPathPatch));
    expect((await get('spec', `/fhir/Observation/${id}`)).body.extension).toBeUndefined();
  });

  it('refuses it in a contained resource and inside transaction and batch Bundles', async () => {
    expectForgeryRefused(await send('spec', 'post', '/fhir/Observation', observation({ contained: [{ resourceType: 'Specimen', id: 's', extension: fromDocument('d1') }] })));
    for (const type of ['transaction', 'batch']) {
      const before = await count();
      const bundle = { resourceType: 'Bundle', type, entry: [{ resource: observation(), request: { method: 'POST', url: 'Observation' } }, { resource: observation({ extension: fromDocument('d1') }), request: { method: 'POST', url: 'Observation' } }] };
      const res = await send('spec', 'post', '/fhir', bundle);
      expectForgeryRefused(res);
      expect(res.body.issue[0].expression).toEqual(['Bundle.entry[1].resource.extension[0].url']);
      expect(await count()).toBe(before);
    }
  });

  it('answers a restated extension on a visible extracted row with the provenance 403, not 422', async () => {
    const current = (await get('spec', '/fhir/Observation/d1-obs')).body;
    const res = await send('spec', 'put', '/fhir/Observation/d1-obs', { ...current, status: 'amended' });
    expect(res.status).toBe(403);
    expect(res.body.issue[0].diagnostics).toMatch(/replace the document to change it/);
  });

  it('answers a restated extension on a hidden row exactly as on a missing one', async () => {
    const hidden = await send('spec', 'put', '/fhir/Observation/d2-obs', observation({ id: 'd2-obs', extension: fromDocument('d2') }));
    const missing = await send('spec', 'put', '/fhir/Observation/no-such-obs', observation({ id: 'no-such-obs', extension: fromDocument('d2') }));
    expect(hidden.status).toBe(missing.status);
    expect(hidden.body).toEqual(missing.body);
    expectForgeryRefused(hidden);
  });

  it('still answers 403 to an actor who may not write at all, whatever the body carries', async () => {
    const res = await send('insurer', 'post', '/fhir/Observation', observation({ extension: fromDocument('d1') }));
    expect(res.status).toBe(403);
  });
});

describe('version metadata is the server’s', () => {
  it('replaces the meta.versionId and meta.lastUpdated a client sends', async () => {
    const res = await send('spec', 'post', '/fhir/Observation', observation({ meta: { versionId: '99', lastUpdated: '2000-01-01T00:00:00Z' } }));
    expect(res.status).toBe(201);
    expect(res.body.meta.versionId).toBe('1');
    expect(Date.parse(res.body.meta.lastUpdated)).toBeGreaterThan(Date.parse('2020-01-01'));
  });
});
