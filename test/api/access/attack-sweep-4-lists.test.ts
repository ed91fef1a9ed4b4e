import { A07, byRpps, consent, RPPS } from './fixture';
import { useSweepServer } from './sweep-4';

// Issue 11's outside check, fourth sweep, family "reference tricks" (List.entry): a List naming several documents is
// hidden from whoever one of them is hidden from (src/access/README.md "References a write is governed by"; DESIGN §5
// "Hidden is absent: … lists"). What an authorised professional gained: the id of a document the patient masked from
// him, and that it belongs to the same submission, from a List the treating physician (who reads it) wrote.
// Fixture: d2 masked from spec by Consent c1-mask, d3 MASQUE_PS; gp (treating physician) reads both; d5 ordinary to spec.

const { call } = useSweepServer('dmp-sweep4-lists-');
const JSON_PATCH = { 'Content-Type': 'application/json-patch+json' };
const list = (...docs: string[]) => ({ resourceType: 'List', status: 'current', mode: 'working', subject: { reference: 'Patient/p1' }, entry: docs.map((d) => ({ item: { reference: `DocumentReference/${d}` } })) });
const ids = (body: { entry?: { resource: { id: string } }[] }): string[] => (body?.entry ?? []).map((e) => e.resource.id);

describe('a List of several documents naming one masked by Consent', () => {
  it('is hidden from the professional the document is masked from, in every interaction', async () => {
    const created = await call('gp', 'POST', '/List', list('d5', 'd2'));
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    expect((await call('gp', 'GET', `/List/${id}`)).status).toBe(200);
    expect((await call('spec', 'GET', `/List/${id}`)).status).toBe(404);
    expect((await call('spec', 'GET', `/List/${id}/_history/1`)).status).toBe(404);
    expect(ids((await call('spec', 'GET', '/List?_count=100')).body)).not.toContain(id);
    expect(ids((await call('spec', 'GET', '/DocumentReference?_id=d5&_revinclude=List:item')).body)).not.toContain(id);
    expect(JSON.stringify((await call('spec', 'GET', '/Patient/p1/$everything?_count=500')).body)).not.toContain(id);
  });

  it('is hidden once edited to name it, and shown again when the patient lifts the mask', async () => {
    const created = await call('gp', 'POST', '/List', list('d5', 'd1'));
    const id = created.body.id as string;
    expect((await call('spec', 'GET', `/List/${id}`)).status).toBe(200);
    expect((await call('gp', 'PATCH', `/List/${id}`, [{ op: 'add', path: '/entry/-', value: { item: { reference: 'DocumentReference/d2' } } }], JSON_PATCH)).status).toBe(200);
    expect((await call('spec', 'GET', `/List/${id}`)).status).toBe(404);
    const mask = await call('patient', 'POST', '/Consent', { ...consent('x', 'p1', { type: 'deny', data: [{ meaning: 'instance', reference: { reference: 'DocumentReference/d1' } }] }), id: undefined });
    expect(mask.status).toBe(201);
    expect((await call('patient', 'PATCH', '/Consent/c1-mask', [{ op: 'replace', path: '/status', value: 'inactive' }], JSON_PATCH)).status).toBe(200);
    // d2 is no longer masked but d1 now is: still hidden.
    expect((await call('spec', 'GET', `/List/${id}`)).status).toBe(404);
    expect((await call('patient', 'PATCH', `/Consent/${mask.body.id}`, [{ op: 'replace', path: '/status', value: 'inactive' }], JSON_PATCH)).status).toBe(200);
    expect((await call('spec', 'GET', `/List/${id}`)).status).toBe(200);
  });

  it('stays visible to whoever reads every document it names (the comparison can fail)', async () => {
    const created = await call('gp', 'POST', '/List', list('d5', 'd1'));
    expect((await call('spec', 'GET', `/List/${created.body.id}`)).status).toBe(200);
    expect((await call('patient', 'POST', '/Consent', { ...consent('x', 'p1', { type: 'permit', actor: [byRpps(RPPS.author)] }), id: undefined })).status).toBe(201);
    // The author of d1–d3 reads d2 although it is masked: a List of d1 and d2 is his to read.
    const authored = await call('gp', 'POST', '/List', list('d1', 'd2'));
    expect((await call('author', 'GET', `/List/${authored.body.id}`)).status).toBe(200);
  });

  it('held: a List naming a document labelled MASQUE_PS is hidden through the joined labels', async () => {
    const created = await call('gp', 'POST', '/List', list('d5', 'd3'));
    expect((await call('spec', 'GET', `/List/${created.body.id}`)).status).toBe(404);
    void A07;
  });

  it('never drops a document it names: its earlier versions are read under the documents it names now', async () => {
    // Before: gp named d2 (masked from spec), then removed it; spec read the current List and, in version 2, d2's id.
    // (The test above lifted c1-mask: d2 is masked again.)
    const mask = await call('patient', 'POST', '/Consent', { ...consent('x', 'p1', { type: 'deny', data: [{ meaning: 'instance', reference: { reference: 'DocumentReference/d2' } }] }), id: undefined });
    expect(mask.status).toBe(201);
    const created = await call('gp', 'POST', '/List', list('d5'));
    const id = created.body.id as string;
    expect((await call('gp', 'PATCH', `/List/${id}`, [{ op: 'add', path: '/entry/-', value: { item: { reference: 'DocumentReference/d2' } } }], JSON_PATCH)).status).toBe(200);
    const dropped = await call('gp', 'PATCH', `/List/${id}`, [{ op: 'remove', path: '/entry/1' }], JSON_PATCH);
    expect([dropped.status, dropped.body.issue?.[0]?.expression]).toEqual([422, ['List.entry.item']]);
    expect(dropped.body.issue[0].diagnostics).toMatch(/^List\.entry\.item no longer names DocumentReference\/d2: the documents a List belongs to are only added to/);
    const put = await call('gp', 'PUT', `/List/${id}`, { ...list('d5'), id });
    expect(put.status).toBe(422);
    // Still one List naming both, hidden from spec in every version.
    expect((await call('spec', 'GET', `/List/${id}`)).status).toBe(404);
    for (const version of [1, 2]) expect((await call('spec', 'GET', `/List/${id}/_history/${version}`)).status).toBe(404);
    expect((await call('spec', 'GET', `/List/${id}/_history/3`)).status).toBe(404);
  });
});
