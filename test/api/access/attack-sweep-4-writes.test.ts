import { A07, byRpps, consent, RPPS } from './fixture';
import { shape, useSweepServer, type Who } from './sweep-4';

// Issue 11's outside check, fourth sweep, family "write tricks", over HTTP on the production composition. Expected
// answers come from the rules (src/access/README.md "Who may change what", "A row never moves to another record",
// "Writes" under hidden-is-absent: update-as-create is closed to every token actor; a record one does not see is
// absent for writes too). Fixture: p1 open, spec authorised there (not on p2: his permit expired), p3 never opened,
// p4 closed; d3 MASQUE_PS; a1 the patient's own allergy.

const { call } = useSweepServer('dmp-sweep4-writes-');
const JSON_PATCH = { 'Content-Type': 'application/json-patch+json' };
const observation = (extra: Record<string, unknown> = {}) => ({ resourceType: 'Observation', status: 'final', code: { text: 'x' }, subject: { reference: 'Patient/p1' }, ...extra });
const create = async (who: Who, body: unknown = observation()): Promise<string> => {
  const res = await call(who, 'POST', '/Observation', body);
  expect(res.status).toBe(201);
  return res.body.id as string;
};
const CREATE_BY_UPDATE = /cannot be created by an update/;

describe('delete, then re-create under the same id', () => {
  it('a professional cannot carry a deleted row into another record, where its old versions would be read', async () => {
    // spec is authorised in p1 and (now) in p2.
    expect((await call('p2', 'POST', '/Consent', { ...consent('x', 'p2', { type: 'permit', actor: [byRpps(RPPS.spec)] }), id: undefined })).status).toBe(201);
    const id = await create('spec', observation({ valueString: 'written in p1' }));
    expect((await call('spec', 'DELETE', `/Observation/${id}`)).status).toBe(200);
    // Before: PUT re-created the id in p2 (201, version 3), and p2's patient read version 1, written in p1.
    const recreated = await call('spec', 'PUT', `/Observation/${id}`, { ...observation({ subject: { reference: 'Patient/p2' } }), id });
    expect(recreated.status).toBe(403);
    expect(recreated.body.issue[0].diagnostics).toMatch(CREATE_BY_UPDATE);
    const inTransaction = await call('spec', 'POST', '', { resourceType: 'Bundle', type: 'transaction', entry: [{ resource: { ...observation({ subject: { reference: 'Patient/p2' } }), id }, request: { method: 'PUT', url: `Observation/${id}` } }] });
    expect(inTransaction.status).toBe(403);
    expect((await call('p2', 'GET', `/Observation/${id}/_history/1`)).status).toBe(404);
    expect((await call('patient', 'GET', `/Observation/${id}`)).status).toBe(410);
  });

  it('a professional cannot take over the id of an entry the patient deleted, nor anyone re-create a deleted id', async () => {
    const id = await create('patient');
    expect((await call('patient', 'DELETE', `/Observation/${id}`)).status).toBe(200);
    // Before: spec's PUT re-created it (201) as his own row under the patient's id, its history included.
    for (const who of ['spec', 'patient'] as Who[]) {
      const res = await call(who, 'PUT', `/Observation/${id}`, { ...observation(), id });
      expect([who, res.status]).toEqual([who, 403]);
      expect(res.body.issue[0].diagnostics).toMatch(CREATE_BY_UPDATE);
    }
    expect((await call('patient', 'GET', `/Observation/${id}`)).status).toBe(410);
  });

  it('a deleted row answers a PUT exactly as a free id does (the same 403)', async () => {
    const id = await create('spec');
    expect((await call('spec', 'DELETE', `/Observation/${id}`)).status).toBe(200);
    const deleted = await call('spec', 'PUT', `/Observation/${id}`, { ...observation(), id });
    const free = await call('spec', 'PUT', '/Observation/zz-free', { ...observation(), id: 'zz-free' });
    expect([deleted.status, deleted.text.split(id).join('<id>')]).toEqual([free.status, free.text.split('zz-free').join('<id>')]);
  });
});

describe('moving a row into a record the writer does not see answers as a missing record', () => {
  // What an attacker gained: with any row of his own, whether a Patient id exists and its state (403 "not authorised",
  // 422 "no open DMP", 403 for a closed record) — the record existence that creations already hide.
  const moves: [string, Who, string, (target: string) => unknown, Record<string, string>?][] = [
    ['JSON Patch', 'gp', 'PATCH', (t) => [{ op: 'replace', path: '/subject/reference', value: `Patient/${t}` }], JSON_PATCH],
    ['FHIRPath Patch', 'gp', 'PATCH', (t) => ({ resourceType: 'Parameters', parameter: [{ name: 'operation', part: [{ name: 'type', valueCode: 'replace' }, { name: 'path', valueString: 'Observation.subject.reference' }, { name: 'value', valueString: `Patient/${t}` }] }] })],
    ['PUT', 'gp', 'PUT', (t) => observation({ subject: { reference: `Patient/${t}` } })],
  ];
  for (const [label, who, method, body, headers] of moves) {
    // gp treats p1 and p4 (closed: hidden from every professional); p2 and p3 are not his.
    it(`${label} by a professional, into another patient's, a never-opened and a closed record`, async () => {
      const id = await create(who);
      const ask = (target: string) => {
        const payload = body(target) as Record<string, unknown>;
        return call(who, method, `/Observation/${id}`, method === 'PUT' ? { ...payload, id } : payload, headers);
      };
      const missing = shape(await ask('zz-missing'), 'zz-missing');
      for (const hidden of ['p2', 'p3', 'p4']) expect([hidden, ...shape(await ask(hidden), hidden)]).toEqual([hidden, ...missing]);
      expect((await call('patient', 'GET', `/Observation/${id}`)).body.subject.reference).toBe('Patient/p1');
    });
  }

  it('the patient moving his own entry into another patient\'s record', async () => {
    const ask = (target: string) => call('patient', 'PATCH', '/AllergyIntolerance/a1', [{ op: 'replace', path: '/patient/reference', value: `Patient/${target}` }], JSON_PATCH);
    expect(shape(await ask('p2'), 'p2')).toEqual(shape(await ask('zz-missing'), 'zz-missing'));
  });

  it('the patient moving one of his Consents into another patient\'s record', async () => {
    const ask = (target: string) => call('patient', 'PATCH', '/Consent/c1-mask', [{ op: 'replace', path: '/patient/reference', value: `Patient/${target}` }], JSON_PATCH);
    expect(shape(await ask('p2'), 'p2')).toEqual(shape(await ask('zz-missing'), 'zz-missing'));
  });

  it('a move inside records the writer sees is still refused with its reason (the comparison can fail)', async () => {
    expect((await call('p2', 'POST', '/Consent', { ...consent('x', 'p2', { type: 'permit', actor: [byRpps(RPPS.spec)] }), id: undefined })).status).toBe(201);
    const id = await create('spec');
    const res = await call('spec', 'PATCH', `/Observation/${id}`, [{ op: 'replace', path: '/subject/reference', value: 'Patient/p2' }], JSON_PATCH);
    expect(res.status).toBe(422);
    expect(res.body.issue[0].diagnostics).toMatch(/cannot move to another patient/);
  });
});

describe('held: server-owned and someone else\'s fields', () => {
  it('meta.versionId is the server\'s; a document\'s meta.tag is not a metadata update; a flag on one\'s own row is refused', async () => {
    const id = await create('spec');
    const patched = await call('spec', 'PATCH', `/Observation/${id}`, [{ op: 'replace', path: '/meta/versionId', value: '99' }], JSON_PATCH);
    // The server's own element is no content: a patch of it alone changes nothing, so no version is written
    // (unchanged-writes.test.ts) and the one answered is still the server's, not 99.
    expect([patched.status, patched.body.meta.versionId]).toEqual([200, '1']);
    expect((await call('author', 'PATCH', '/DocumentReference/d1', [{ op: 'add', path: '/meta/tag', value: [{ system: 'x', code: 'y' }] }], JSON_PATCH)).status).toBe(405);
    const flag = [{ op: 'add', path: '/meta/security', value: [] }, { op: 'add', path: '/meta/security/-', value: { system: A07, code: 'MASQUE_PS' } }];
    expect((await call('spec', 'PATCH', `/Observation/${id}`, flag, JSON_PATCH)).status).toBe(422);
  });

  it('a patient naming his physician as performer does not make the result the physician\'s, nor another patient\'s', async () => {
    const id = await create('patient', observation({ performer: [{ reference: 'Practitioner/gp' }], valueQuantity: { value: 5 } }));
    const gp = await call('gp', 'PATCH', `/Observation/${id}`, [{ op: 'replace', path: '/status', value: 'amended' }], JSON_PATCH);
    expect(gp.status).toBe(403);
    expect(gp.body.issue[0].diagnostics).toMatch(/entered by the patient/);
    expect((await call('patient', 'POST', '/Observation', observation({ performer: [{ reference: 'Patient/p2' }] }))).status).toBe(422);
  });

  it('meta.source is the client\'s word: the trail names who wrote', async () => {
    const id = await create('spec', observation({ meta: { source: 'https://laboratoire.example/lis' } }));
    const trail = await call('patient', 'GET', '/AuditEvent?patient=Patient/p1&_count=1000');
    expect(trail.status).toBe(200);
    const events = (trail.body.entry as { resource: { entity?: { what?: { reference?: string } }[] } }[]).map((e) => e.resource)
      .filter((e) => (e.entity ?? []).some((x) => x.what?.reference?.startsWith(`Observation/${id}`)));
    expect(events.length).toBeGreaterThan(0);
    expect(JSON.stringify(events)).toContain(`8${RPPS.spec}`);
    expect(JSON.stringify(events)).not.toContain('laboratoire.example');
  });

  it('nobody forges trail entries or grants himself access with record-management writes', async () => {
    const event = { resourceType: 'AuditEvent', type: { code: 'rest' }, recorded: '2026-01-01T00:00:00Z', agent: [{ requestor: true, who: { reference: 'Practitioner/gp' } }], source: { observer: { display: 'x' } }, entity: [{ what: { reference: 'Patient/p1' } }] };
    for (const who of ['patient', 'spec'] as Who[]) expect((await call(who, 'POST', '/AuditEvent', event)).status).toBe(405);
    expect((await call('spec', 'POST', '/Provenance', { resourceType: 'Provenance', target: [{ reference: 'DocumentReference/d2' }], recorded: '2026-01-01T00:00:00Z', agent: [{ who: { reference: 'Practitioner/spec' } }] })).status).toBe(404);
    const selfPermit = await call('unauth', 'POST', '/Consent', { ...consent('x', 'p1', { type: 'permit', actor: [byRpps('10000000077')] }), id: undefined });
    expect(selfPermit.status).toBe(422);
    expect((await call('spec', 'POST', '/Consent', { ...consent('x', 'p1', { type: 'permit', actor: [byRpps('10000000077')] }), id: undefined })).status).toBe(403);
    // A professional records a contact person; that RelatedPerson's token reads nothing, and he cannot make it a parent.
    const friend = await call('spec', 'POST', '/RelatedPerson', { resourceType: 'RelatedPerson', patient: { reference: 'Patient/p1' }, relationship: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-RoleCode', code: 'FRND' }] }] });
    expect(friend.status).toBe(201);
    expect((await call({ kind: 'guardian', id: friend.body.id }, 'GET', '/DocumentReference/d1')).status).toBe(404);
    expect((await call('spec', 'PATCH', `/RelatedPerson/${friend.body.id}`, [{ op: 'replace', path: '/relationship/0/coding/0/code', value: 'MTH' }], JSON_PATCH)).status).toBe(403);
  });
});
