import { byRpps, consent, maskDoc, RPPS } from './fixture';
import { CALLERS } from './actors';
import { useFixtureApp } from './fixture-app';

// Issue 11's outside check, second sweep: PATCH and PUT of what the caller may not change, a row moved into another
// record, $everything and _history over part of a record, and search parameters that could disclose through counts.
// Fixture: d1–d3 by `author`, d2 masked by consent, d3 MASQUE_PS, d4 INVISIBLE_PATIENT; spec authorised on p1 only
// (his permit on p2 expired); gp treats p1; p4 closed.

const { send, get } = useFixtureApp(CALLERS);

const jsonPatch = (who: string, url: string, ops: unknown[]) => send(who, 'patch', url).set('Content-Type', 'application/json-patch+json').send(JSON.stringify(ops));
const fhirPathPatch = (who: string, url: string, operation: { type: string; path: string; value?: unknown }) => send(who, 'patch', url, {
  resourceType: 'Parameters',
  parameter: [{ name: 'operation', part: [{ name: 'type', valueCode: operation.type }, { name: 'path', valueString: operation.path }, ...(operation.value ? [{ name: 'value', ...operation.value }] : [])] }],
});
const patchEntry = (url: string, ops: unknown[]) => ({ resource: { resourceType: 'Binary', contentType: 'application/json-patch+json', data: Buffer.from(JSON.stringify(ops)).toString('base64') }, request: { method: 'PATCH', url } });
const transaction = (who: string, entry: unknown[]) => send(who, 'post', '/fhir', { resourceType: 'Bundle', type: 'transaction', entry });
const idsOf = (body: { entry?: { resource?: { id?: string }; search?: { mode?: string } }[] }): string[] =>
  (body.entry ?? []).filter((e) => e.search?.mode !== 'outcome').map((e) => e.resource?.id ?? '');
const HIDDEN_FROM_SPEC = ['d2', 'd2-bin', 'd2-obs', 'd3', 'd3-bin', 'd3-obs', 'c1-open', 'e1', 'e1-bin', 'e1-obs', 'f1', 'g1', 'p2', 'p3', 'p4'];
const A07 = 'https://mos.esante.gouv.fr/NOS/TRE_A07-StatutVisibiliteDocument/FHIR/TRE-A07-StatutVisibiliteDocument';

/** Follows `next` links as `who`, gathering every page's ids. */
async function allPages(who: string, url: string): Promise<{ ids: string[]; total?: number }> {
  const first = await get(who, url);
  expect(first.status).toBe(200);
  const ids = idsOf(first.body);
  let next = first.body.link?.find((l: { relation: string }) => l.relation === 'next')?.url as string | undefined;
  while (next) {
    const u = new URL(next);
    const page = await get(who, u.pathname + u.search);
    expect(page.status).toBe(200);
    ids.push(...idsOf(page.body));
    next = page.body.link?.find((l: { relation: string }) => l.relation === 'next')?.url;
  }
  return { ids, total: first.body.total };
}

describe('PATCH, PUT and transaction entries cannot change what belongs to someone else', () => {
  it('security labels and status of a document are its author’s, whatever the patch form', async () => {
    expect((await jsonPatch('spec', '/fhir/DocumentReference/d1', [{ op: 'add', path: '/meta/security', value: [{ system: A07, code: 'MASQUE_PS' }] }])).status).toBe(403);
    expect((await jsonPatch('patient', '/fhir/DocumentReference/d1', [{ op: 'add', path: '/securityLabel/-', value: { coding: [{ system: A07, code: 'MASQUE_PS' }] } }])).status).toBe(403);
    expect((await jsonPatch('spec', '/fhir/DocumentReference/d1', [{ op: 'replace', path: '/status', value: 'entered-in-error' }])).status).toBe(403);
    // The treating physician sees d3 (MASQUE_PS) but cannot unmask it for everyone else.
    expect((await fhirPathPatch('gp', '/fhir/DocumentReference/d3', { type: 'delete', path: 'DocumentReference.securityLabel' })).status).toBe(403);
    expect((await transaction('spec', [patchEntry('DocumentReference/d1', [{ op: 'replace', path: '/status', value: 'entered-in-error' }])])).status).toBe(403);
    const d3 = await get('gp', '/fhir/DocumentReference/d3');
    expect(JSON.stringify(d3.body.securityLabel)).toContain('MASQUE_PS');
  });

  it('server-owned fields: the id, the source-document extension', async () => {
    expect((await jsonPatch('patient', '/fhir/AllergyIntolerance/a1', [{ op: 'replace', path: '/id', value: 'a9' }])).status).toBe(422);
    const forged = await jsonPatch('patient', '/fhir/AllergyIntolerance/a1', [{ op: 'add', path: '/extension', value: [{ url: 'https://dmp-fhir-adapter.org/fhir/StructureDefinition/source-document', valueReference: { reference: 'DocumentReference/d4' } }] }]);
    expect(forged.status).toBe(422);
    expect((await get('patient', '/fhir/AllergyIntolerance/a1')).body.extension).toBeUndefined();
  });

  it('a Patient’s INS, birth date and contacts change only through their procedures, for the patient too', async () => {
    for (const [path, value] of [['/birthDate', '2000-01-01'], ['/telecom', [{ system: 'email', value: 'x@evil.example' }]], ['/identifier', []]] as const) {
      expect((await jsonPatch('patient', '/fhir/Patient/p1', [{ op: 'add', path, value }])).status).toBe(403);
      expect((await jsonPatch('gp', '/fhir/Patient/p1', [{ op: 'add', path, value }])).status).toBe(403);
    }
    expect((await get('patient', '/fhir/Patient/p1')).body.birthDate).toBe('2015-04-02');
  });

  it('a professional cannot lift his block, widen a permit, re-open a closed record or re-activate a withdrawn permit', async () => {
    const inactive = [{ op: 'replace', path: '/status', value: 'inactive' }];
    const active = [{ op: 'replace', path: '/status', value: 'active' }];
    // The blocked professional reads nothing of the record: his block answers as a Consent that does not exist.
    const block = await jsonPatch('blocked', '/fhir/Consent/c1-blocked', inactive);
    const missing = await jsonPatch('blocked', '/fhir/Consent/zz', inactive);
    expect([block.status, JSON.stringify(block.body).split('c1-blocked').join('<id>')]).toEqual([missing.status, JSON.stringify(missing.body).split('zz').join('<id>')]);
    expect((await jsonPatch('spec', '/fhir/Consent/c1-blocked', inactive)).status).toBe(403);
    expect((await jsonPatch('spec', '/fhir/Consent/c2-spec', [{ op: 'remove', path: '/provision/period' }])).status).toBe(403);
    expect((await jsonPatch('gp', '/fhir/Consent/c4-open', active)).status).toBe(403);
    expect((await jsonPatch('gp', '/fhir/Consent/c1-other', active)).status).toBe(403);
    expect((await transaction('gp', [patchEntry('Consent/c1-other', active)])).status).toBe(403);
    // Even the patient cannot carry one of his Consents into another record.
    expect((await jsonPatch('patient', '/fhir/Consent/c1-mask', [{ op: 'replace', path: '/patient/reference', value: 'Patient/p2' }])).status).toBe(422);
  });

  it('an AuditEvent cannot be patched, replaced or deleted, directly or inside a transaction', async () => {
    const patch = [{ op: 'replace', path: '/outcome', value: '4' }];
    // Not offered at all (the CapabilityStatement lists read, vread, history-instance and search only): 405 for everyone.
    expect((await jsonPatch('patient', '/fhir/AuditEvent/ae1', patch)).status).toBe(405);
    expect((await send('patient', 'put', '/fhir/AuditEvent/ae1', { resourceType: 'AuditEvent', id: 'ae1' })).status).toBe(405);
    expect((await send('patient', 'delete', '/fhir/AuditEvent/ae1')).status).toBe(405);
    expect((await transaction('patient', [patchEntry('AuditEvent/ae1', patch)])).status).toBe(405);
  });
});

describe('$everything over part of a record', () => {
  it('every page through the caller’s predicate: the total is the rows paged, none hidden, whatever _count, _type, _since', async () => {
    for (const query of ['_count=3', '_count=2&_type=DocumentReference,Binary', '_count=4&_since=2000-01-01']) {
      const { ids, total } = await allPages('spec', `/fhir/Patient/p1/$everything?${query}`);
      expect(ids.length).toBe(total);
      expect(new Set(ids).size).toBe(ids.length);
      expect(ids.filter((id) => HIDDEN_FROM_SPEC.includes(id))).toEqual([]);
      expect(ids).toContain('d1');
    }
    expect((await get('spec', '/fhir/Patient/p1/$everything?_type=Consent')).body.total).toBe(0);
    expect((await get('spec', '/fhir/Patient/p1/$everything?_since=garbage')).status).toBe(400);
  });

  it('a foreign record’s $everything answers exactly as a missing one', async () => {
    const foreign = await get('spec', '/fhir/Patient/p2/$everything');
    const missing = await get('spec', '/fhir/Patient/zz/$everything');
    expect(foreign.status).toBe(404);
    expect(JSON.stringify(foreign.body).split('p2').join('<id>')).toBe(JSON.stringify(missing.body).split('zz').join('<id>'));
  });
});

describe('_history at system and type level', () => {
  it('shows no hidden row, with _since too (_at is refused: history-parameters.test.ts)', async () => {
    for (const url of ['/fhir/_history?_count=500', '/fhir/DocumentReference/_history', '/fhir/Observation/_history?_since=2000-01-01']) {
      const { ids } = await allPages('spec', url);
      expect(ids.filter((id) => HIDDEN_FROM_SPEC.includes(id))).toEqual([]);
    }
    expect((await get('spec', '/fhir/DocumentReference/d2/_history/1')).status).toBe(404);
  });

  it('a document masked now hides its older versions, Binary and extractions too', async () => {
    expect((await get('spec', '/fhir/DocumentReference/d1/_history/1')).status).toBe(200);
    const mask = await send('patient', 'post', '/fhir/Consent', { ...consent('x', 'p1', { type: 'deny', data: maskDoc('d1') }), id: undefined });
    expect(mask.status).toBe(201);
    for (const url of ['/fhir/DocumentReference/d1/_history/1', '/fhir/Binary/d1-bin/_history/1', '/fhir/Observation/d1-obs/_history/1', '/fhir/DocumentReference/d1/_history']) {
      expect((await get('spec', url)).status).toBe(404);
    }
    const { ids } = await allPages('spec', '/fhir/_history?_count=500');
    expect(ids.filter((id) => id.startsWith('d1'))).toEqual([]);
  });
});

describe('search parameters that could disclose through counts', () => {
  it('_summary=count, _total, _sort and _elements count and order only what the caller reads', async () => {
    const visible = idsOf((await get('spec', '/fhir/DocumentReference?_count=100')).body);
    expect(visible.filter((id) => HIDDEN_FROM_SPEC.includes(id))).toEqual([]);
    expect((await get('spec', '/fhir/DocumentReference?_summary=count')).body.total).toBe(visible.length);
    expect((await get('spec', '/fhir/DocumentReference?_total=accurate')).body.total).toBe(visible.length);
    expect((await get('spec', '/fhir/DocumentReference?_summary=count&_id=d2')).body.total).toBe(0);
    expect((await get('spec', `/fhir/DocumentReference?_summary=count&security-label=${A07}|MASQUE_PS`)).body.total).toBe(0);
    expect(idsOf((await get('spec', '/fhir/DocumentReference?_sort=security-label')).body).sort()).toEqual([...visible].sort());
    expect(idsOf((await get('spec', '/fhir/DocumentReference?_elements=id,securityLabel')).body).sort()).toEqual([...visible].sort());
  });

  it('_contained, _list, _text, _content, _filter, _query, _source: ignored with a warning, or 400 under strict handling', async () => {
    for (const param of ['_contained=true', '_list=x', '_text=report', '_content=report', '_filter=id%20eq%20d2', '_query=x', '_source=x']) {
      const lenient = await get('spec', `/fhir/DocumentReference?${param}&_summary=count`);
      expect(lenient.status).toBe(200);
      expect(lenient.body.total).toBeLessThanOrEqual(3);
      const strict = await get('spec', `/fhir/DocumentReference?${param}`).set('Prefer', 'handling=strict');
      expect(strict.status).toBe(400);
    }
  });
});

describe('a row never moves to another record', () => {
  it('its writer, authorised in both records, cannot carry it over by JSON Patch, FHIRPath Patch, PUT or transaction', async () => {
    expect((await send('p2', 'post', '/fhir/Consent', { ...consent('x', 'p2', { type: 'permit', actor: [byRpps(RPPS.spec)] }), id: undefined })).status).toBe(201);
    const obs = await send('spec', 'post', '/fhir/Observation', { resourceType: 'Observation', status: 'final', code: { text: 'written in p1' }, subject: { reference: 'Patient/p1' } });
    expect(obs.status).toBe(201);
    const url = `/fhir/Observation/${obs.body.id}`;
    const moved = { ...obs.body, subject: { reference: 'Patient/p2' } };
    const attempts = [
      await jsonPatch('spec', url, [{ op: 'replace', path: '/subject/reference', value: 'Patient/p2' }]),
      await fhirPathPatch('spec', url, { type: 'replace', path: 'Observation.subject', value: { valueReference: { reference: 'Patient/p2' } } }),
      await send('spec', 'put', url, moved),
      await transaction('spec', [{ resource: moved, request: { method: 'PUT', url: `Observation/${obs.body.id}` } }]),
    ];
    expect(attempts.map((r) => r.status)).toEqual([422, 422, 422, 422]);
    // p2's patient never reads what was written in p1; p1's patient keeps it.
    expect((await get('p2', `${url}/_history/1`)).status).toBe(404);
    expect((await get('patient', url)).body.subject.reference).toBe('Patient/p1');
    // Changing it inside its own record still works.
    expect((await jsonPatch('spec', url, [{ op: 'add', path: '/language', value: 'fr-FR' }])).status).toBe(200);
  });

  it('a patient’s entry and a document stay too (p2 is absent for them: the answer of a Patient that does not exist)', async () => {
    // Sweep 4: a move into a record the writer does not see answers as one into a missing Patient, not with the
    // record's 403, which told which Patient ids exist.
    for (const [who, url, path] of [['patient', '/fhir/AllergyIntolerance/a1', '/patient/reference'], ['author', '/fhir/DocumentReference/d1', '/subject/reference']]) {
      const res = await jsonPatch(who, url, [{ op: 'replace', path, value: 'Patient/p2' }]);
      expect([who, res.status]).toEqual([who, 422]);
      expect(res.body.issue[0].diagnostics).toMatch(/Patient\/p2 does not exist on this server/);
    }
  });
});

describe('visibility flags belong to documents: nobody hides a standalone row', () => {
  const observation = (id: string) => ({ resourceType: 'Observation', id, status: 'final', code: { text: 'poids' }, subject: { reference: 'Patient/p1' }, valueQuantity: { value: 72, unit: 'kg' } });
  const flagged = (code: string) => ({ meta: { security: [{ system: A07, code }] } });

  it('a professional cannot create his own row hidden from the patient, nor flag it later by patch, PUT or transaction', async () => {
    for (const code of ['INVISIBLE_PATIENT', 'MASQUE_PS', 'INVISIBLE_REPRESENTANTS_LEGAUX']) {
      const created = await send('gp', 'post', '/fhir/Observation', { ...observation('x'), id: undefined, ...flagged(code) });
      expect(created.status).toBe(422);
      expect(JSON.stringify(created.body)).toContain(code);
    }
    const own = await send('gp', 'post', '/fhir/Observation', { ...observation('x'), id: undefined });
    expect(own.status).toBe(201);
    const url = `/fhir/Observation/${own.body.id}`;
    expect((await jsonPatch('gp', url, [{ op: 'add', path: '/meta/security', value: [{ system: A07, code: 'INVISIBLE_PATIENT' }] }])).status).toBe(422);
    expect((await fhirPathPatch('gp', url, { type: 'add', path: 'Observation.meta', value: { name: 'security', valueCoding: { system: A07, code: 'INVISIBLE_PATIENT' } } })).status).toBeGreaterThanOrEqual(400);
    expect((await send('gp', 'put', url, { ...own.body, ...flagged('INVISIBLE_PATIENT') })).status).toBe(422);
    const tx = await transaction('gp', [{ resource: { ...own.body, ...flagged('INVISIBLE_PATIENT') }, request: { method: 'PUT', url: `Observation/${own.body.id}` } }]);
    expect(tx.status).toBe(422);
    // The patient still reads it.
    expect((await get('patient', url)).status).toBe(200);
  });

  it('the patient cannot flag his own entry either (masking goes through a document and Consent)', async () => {
    const res = await send('patient', 'post', '/fhir/Observation', { ...observation('x'), id: undefined, ...flagged('MASQUE_PS') });
    expect(res.status).toBe(422);
  });
});
