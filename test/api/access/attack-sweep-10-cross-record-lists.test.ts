import { A07, byRpps, consent, RPPS, systemContext } from './fixture';
import { useSweepServer } from './sweep-4';

// Issue 11, tenth sweep: a List of record A whose entry names a DocumentReference of record B. The author (or writer) of
// a document reads what it governs (`compile-access.ts` `authoredBy` / `writtenBy`), and a List of one document is
// governed by it (`doc_id`): without a check of the record, the author of d1 (record p1) read a List of record p2,
// where the patient never authorised him. Fixture: d1 (p1) written by `author`; p2 open, nobody authorised but gp here.

const { run, call } = useSweepServer('dmp-sweep10-lists-');
const list = (patient: string, ...docs: string[]) => ({ resourceType: 'List', status: 'current', mode: 'working', title: `Suivi ${patient}`, subject: { reference: `Patient/${patient}` }, entry: docs.map((d) => ({ item: { reference: `DocumentReference/${d}` } })) });
const ids = (body: { entry?: { resource: { id: string } }[] }): string[] => (body?.entry ?? []).map((e) => e.resource.id);

beforeAll(async () => {
  // gp, treating physician of p1, is authorised in p2 too: he reads d1 and may write in p2.
  const permit = await call('p2', 'POST', '/Consent', { ...consent('x', 'p2', { type: 'permit', actor: [byRpps(RPPS.gp)] }), id: undefined });
  expect(permit.status).toBe(201);
});

describe('a List of one record naming a document of another record', () => {
  it('is refused at write (422 naming List.entry.item), whoever writes it and however', async () => {
    expect((await call('author', 'GET', '/DocumentReference/d1')).status).toBe(200);
    expect((await call('author', 'GET', '/Patient/p2')).status).toBe(404);
    const created = await call('gp', 'POST', '/List', list('p2', 'd1'));
    expect([created.status, created.body.issue?.[0]?.expression]).toEqual([422, ['List.entry.item']]);
    const mixed = await call('gp', 'POST', '/List', list('p2', 'e1', 'd1'));
    expect([mixed.status, mixed.body.issue?.[0]?.expression]).toEqual([422, ['List.entry.item']]);
    const own = await call('gp', 'POST', '/List', list('p2', 'e1'));
    expect(own.status).toBe(201);
    const patched = await call('gp', 'PATCH', `/List/${own.body.id}`, [{ op: 'add', path: '/entry/-', value: { item: { reference: 'DocumentReference/d1' } } }], { 'Content-Type': 'application/json-patch+json' });
    expect(patched.status).toBe(422);
  });

  it('stored before the rule, is read by nobody through a document of the other record', async () => {
    // A row written before the write rule (or by the server itself): the read predicate must check the record too.
    const ctx = systemContext();
    await run.server.service.repo.update(ctx, { ...list('p2', 'd1'), id: 'legacy-cross' } as never);
    await run.server.service.repo.update(ctx, { ...list('p2', 'e1', 'd1'), id: 'legacy-cross-2' } as never);
    for (const who of ['author'] as const) {
      expect((await call(who, 'GET', '/List/legacy-cross')).status).toBe(404);
      expect((await call(who, 'GET', '/List/legacy-cross/_history/1')).status).toBe(404);
      expect(ids((await call(who, 'GET', '/List?_count=100')).body)).not.toContain('legacy-cross');
      expect(ids((await call(who, 'GET', '/DocumentReference?_id=d1&_revinclude=List:item')).body)).not.toContain('legacy-cross');
      expect((await call(who, 'GET', '/List/legacy-cross-2')).status).toBe(404);
    }
    // The record's own readers still read it (gp is authorised in p2; the patient of p2 reads her record's rows).
    expect((await call('gp', 'GET', '/List/legacy-cross')).status).toBe(200);
    expect((await call('p2', 'GET', '/List/legacy-cross')).status).toBe(200);
  });

  it('stored before the rule, is not read by the writer of an author-less document of the other record', async () => {
    // spec is authorised in p1 (not in p2: his permit there expired). His own document has no author element: it is his
    // by provenance (`writtenBy`), masked or not.
    const doc = await call('spec', 'POST', '/DocumentReference', {
      resourceType: 'DocumentReference', status: 'current', subject: { reference: 'Patient/p1' },
      type: { coding: [{ system: 'http://loinc.org', code: '11488-4' }] },
      securityLabel: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-Confidentiality', code: 'N' }] }, { coding: [{ system: A07, code: 'MASQUE_PS' }] }],
      content: [{ attachment: { contentType: 'text/plain', data: Buffer.from('compte rendu').toString('base64') } }],
    });
    expect(doc.status).toBe(201);
    expect((await call('spec', 'GET', `/DocumentReference/${doc.body.id}`)).status).toBe(200);
    await run.server.service.repo.update(systemContext(), { ...list('p2', doc.body.id), id: 'legacy-written' } as never);
    expect((await call('spec', 'GET', '/List/legacy-written')).status).toBe(404);
    expect(ids((await call('spec', 'GET', '/List?_count=100')).body)).not.toContain('legacy-written');
    expect((await call('gp', 'GET', '/List/legacy-written')).status).toBe(200);
  });

  it('is refused inside a transaction too, whichever entry comes first, and nothing is written', async () => {
    const doc = {
      resourceType: 'DocumentReference', status: 'current', subject: { reference: 'Patient/p1' },
      type: { coding: [{ system: 'http://loinc.org', code: '11488-4' }] },
      securityLabel: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-Confidentiality', code: 'N' }] }],
      content: [{ attachment: { contentType: 'text/plain', url: 'urn:uuid:6f1c1f8e-0000-4000-8000-000000000002' } }],
    };
    const binEntry = { fullUrl: 'urn:uuid:6f1c1f8e-0000-4000-8000-000000000002', resource: { resourceType: 'Binary', contentType: 'text/plain', securityContext: { reference: 'urn:uuid:6f1c1f8e-0000-4000-8000-000000000001' }, data: Buffer.from('compte rendu').toString('base64') }, request: { method: 'POST', url: 'Binary' } };
    const docEntry = { fullUrl: 'urn:uuid:6f1c1f8e-0000-4000-8000-000000000001', resource: doc, request: { method: 'POST', url: 'DocumentReference' } };
    const listEntry = { resource: { ...list('p2'), entry: [{ item: { reference: 'urn:uuid:6f1c1f8e-0000-4000-8000-000000000001' } }] }, request: { method: 'POST', url: 'List' } };
    const listsBefore = ids((await call('gp', 'GET', '/List?subject=Patient/p2&_count=100')).body);
    const docsBefore = ids((await call('gp', 'GET', '/DocumentReference?subject=Patient/p1&_count=100')).body);
    for (const entry of [[binEntry, docEntry, listEntry], [listEntry, binEntry, docEntry]]) {
      const answer = await call('gp', 'POST', '', { resourceType: 'Bundle', type: 'transaction', entry });
      expect(answer.status).toBe(422);
    }
    expect(ids((await call('gp', 'GET', '/List?subject=Patient/p2&_count=100')).body)).toEqual(listsBefore);
    expect(ids((await call('gp', 'GET', '/DocumentReference?subject=Patient/p1&_count=100')).body)).toEqual(docsBefore);
  });
});
