import type { Resource } from '@medplum/fhirtypes';
import { A07, byRpps, consent, maskDoc, purpose, RPPS, systemContext } from './fixture';
import { withInsKey } from './ins-values';
import { useSweepServer, type Who } from './sweep-4';

// Issue 11's outside check, fifth sweep, family "consent and record management", over HTTP on the production
// composition. Expected answers come from the rules (src/access/README.md "Who may do what", "The Consent coding",
// "Guardians", "Notices of a minor's record reach his guardians"; DESIGN §4, §5). Fixture: p1 a minor, open, gp
// treating, rp1 her mother, spec authorised, Practitioner/blocked blocked, d2 masked by c1-mask; p2 open, refused
// break-glass and SAMU in advance.

const { call, run } = useSweepServer('dmp-sweep5-record-');
const JSON_PATCH = { 'Content-Type': 'application/json-patch+json' };
const CONFIDANT = '10000000033';
const ROLE = 'http://terminology.hl7.org/CodeSystem/v3-RoleCode';

describe('a professional does not decide the patient\'s consents', () => {
  // Rule: consents are the patient's (or guardian's); a professional may record only the opening on his behalf. A
  // treating physician reads masked documents but "not the Consents".
  const changes: [string, string, string, unknown, Record<string, string>?][] = [
    ['lifting the mask by JSON Patch', 'PATCH', '/Consent/c1-mask', [{ op: 'replace', path: '/status', value: 'inactive' }], JSON_PATCH],
    ['lifting a colleague\'s block by PUT', 'PUT', '/Consent/c1-blocked', { ...consent('c1-blocked', 'p1', { type: 'permit', actor: [byRpps(RPPS.blocked)] }) }],
    ['withdrawing the opening', 'DELETE', '/Consent/c1-open', undefined],
    ['re-activating a withdrawn permit by FHIRPath Patch', 'PATCH', '/Consent/c1-other', { resourceType: 'Parameters', parameter: [{ name: 'operation', part: [{ name: 'type', valueCode: 'replace' }, { name: 'path', valueString: 'Consent.status' }, { name: 'value', valueCode: 'active' }] }] }],
  ];
  for (const who of ['gp', 'spec'] as Who[]) {
    it(`${who} cannot lift a mask or a block, withdraw the opening nor re-activate a permit, directly or in a transaction`, async () => {
      for (const [label, method, url, body, headers] of changes) {
        const res = await call(who, method, url, body, headers);
        expect([label, res.status]).toEqual([label, 403]);
        const tx = await call(who, 'POST', '', { resourceType: 'Bundle', type: 'transaction', entry: [{ resource: method === 'PUT' ? body : undefined, request: { method, url: url.slice(1) } }] });
        expect([label, 'transaction', tx.status >= 400]).toEqual([label, 'transaction', true]);
      }
      expect((await call('spec', 'GET', '/DocumentReference/d2')).status).toBe(404);
      expect((await call('blocked', 'GET', '/DocumentReference/d1')).status).toBe(404);
      expect((await call('patient', 'GET', '/Consent/c1-mask')).body.status).toBe('active');
    });
  }

  it('an authorised professional creates no consent other than the opening: no mask, no block, no refusal of emergencies', async () => {
    const provisions = [
      ['a mask of a colleague\'s document', { type: 'deny', data: maskDoc('d1') }],
      ['a block of the treating physician\'s colleague', { type: 'deny', actor: [byRpps(RPPS.author)] }],
      ['a refusal of break-glass', { type: 'deny', purpose: purpose('BTG') }],
      ['a permit of a colleague', { type: 'permit', actor: [byRpps(RPPS.other)] }],
    ] as const;
    for (const [label, provision] of provisions) {
      const res = await call('spec', 'POST', '/Consent', { ...consent('x', 'p1', provision as never), id: undefined });
      expect([label, res.status]).toEqual([label, 403]);
    }
    expect((await call('author', 'GET', '/DocumentReference/d1')).status).toBe(200);
  });

  it('a professional reads no Consent of the record (the treating physician included), so none shows whom the patient blocked', async () => {
    for (const who of ['gp', 'spec'] as Who[]) {
      const search = await call(who, 'GET', '/Consent?patient=Patient/p1&_total=accurate');
      expect([who, search.status, search.body.total]).toEqual([who, 200, 0]);
      expect([who, (await call(who, 'GET', '/Consent/c1-blocked')).status]).toEqual([who, 404]);
    }
  });
});

describe('a professional recording the opening on the patient\'s behalf records the opening only', () => {
  it('an opening Consent that also authorises him or a colleague, blocks a colleague or refuses emergencies is refused', async () => {
    // gp opens a record for a new patient at his practice (he creates the Patient: the record is his to open).
    const created = await call('gp', 'POST', '/Patient', { resourceType: 'Patient', identifier: [{ system: 'urn:oid:1.2.250.1.213.1.4.8', value: withInsKey('1770575123456') }], name: [{ use: 'official', family: 'NOUVEAU', given: ['Paul'] }], gender: 'male', birthDate: '1977-05-01' });
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    const extras = [
      ['himself authorised', { type: 'permit', provision: [{ type: 'permit', actor: [byRpps(RPPS.gp)] }] }],
      ['a colleague blocked', { type: 'permit', provision: [{ type: 'deny', actor: [byRpps(RPPS.spec)] }] }],
      ['emergencies refused', { type: 'permit', provision: [{ type: 'deny', purpose: purpose('BTG') }] }],
      ['a colleague authorised at the top level', { type: 'permit', actor: [byRpps(RPPS.other)] }],
    ] as const;
    for (const [label, provision] of extras) {
      const res = await call('gp', 'POST', '/Consent', { ...consent('x', id, provision as never), id: undefined });
      expect([label, res.status >= 400]).toEqual([label, true]);
    }
    // The bare opening is his to record (the comparison can fail).
    expect((await call('gp', 'POST', '/Consent', { ...consent('x', id, { type: 'permit' }), id: undefined })).status).toBe(201);
    const consents = await call({ kind: 'patient', id }, 'GET', `/Consent?patient=Patient/${id}&_total=accurate`);
    expect(consents.body.total).toBe(1);
  });
});

describe('the trail is the server\'s: nobody posts, replaces or erases an AuditEvent', () => {
  const event = { resourceType: 'AuditEvent', type: { system: 'http://dicom.nema.org/resources/ontology/DCM', code: '110110' }, recorded: '2026-01-01T00:00:00Z', agent: [{ requestor: true, who: { reference: 'Practitioner/gp' } }], source: { observer: { display: 'x' } }, entity: [{ what: { reference: 'Patient/p1' } }] };
  for (const who of ['patient', 'guardian', 'gp', 'feeder'] as Who[]) {
    it(`${who}: transaction, batch, conditional create and PUT of an AuditEvent are refused`, async () => {
      const tx = await call(who, 'POST', '', { resourceType: 'Bundle', type: 'transaction', entry: [{ resource: event, request: { method: 'POST', url: 'AuditEvent' } }] });
      expect([who, 'transaction', tx.status >= 400]).toEqual([who, 'transaction', true]);
      const batch = await call(who, 'POST', '', { resourceType: 'Bundle', type: 'batch', entry: [{ resource: event, request: { method: 'POST', url: 'AuditEvent' } }] });
      expect([who, 'batch entry', Number.parseInt(batch.body?.entry?.[0]?.response?.status ?? '0', 10) >= 400]).toEqual([who, 'batch entry', true]);
      const conditional = await call(who, 'POST', '/AuditEvent', event, { 'If-None-Exist': 'patient=Patient/p1' });
      expect([who, 'conditional', conditional.status >= 400]).toEqual([who, 'conditional', true]);
      const put = await call(who, 'PUT', '/AuditEvent?patient=Patient/p1', event);
      expect([who, 'conditional PUT', put.status >= 400]).toEqual([who, 'conditional PUT', true]);
      const del = await call(who, 'DELETE', '/AuditEvent?patient=Patient/p1');
      expect([who, 'conditional DELETE', del.status >= 400]).toEqual([who, 'conditional DELETE', true]);
    });
  }

  it('the trail still verifies and names only the server\'s events after the attempts', async () => {
    const verify = await call('patient', 'GET', '/AuditEvent/$verify?patient=Patient/p1');
    expect(verify.status).toBe(200);
    expect(JSON.stringify(verify.body)).not.toMatch(/broken|invalid/i);
    const trail = await call('patient', 'GET', '/AuditEvent?patient=Patient/p1&date=le2026-01-02&_total=accurate');
    expect(trail.body.total).toBe(0);
  });
});

describe('guardians: a RelatedPerson written by someone else makes no guardian', () => {
  it('the other patient, an authorised professional or a feeder cannot name himself a parent of p1', async () => {
    const parent = { resourceType: 'RelatedPerson', patient: { reference: 'Patient/p1' }, relationship: [{ coding: [{ system: ROLE, code: 'FTH' }] }], name: [{ family: 'X' }] };
    for (const who of ['p2', 'spec', 'feeder', 'samu'] as Who[]) {
      const res = await call(who, 'POST', '/RelatedPerson', parent);
      expect([who, res.status >= 400]).toEqual([who, true]);
    }
    const cond = await call('spec', 'PUT', '/RelatedPerson?patient=Patient/p1', { ...parent, relationship: [{ coding: [{ system: ROLE, code: 'GUARD' }] }], period: { start: '2020-01-01', end: '2099-01-01' } });
    expect(cond.status).toBeGreaterThanOrEqual(400);
    const search = await call('patient', 'GET', '/RelatedPerson?patient=Patient/p1&_total=accurate');
    expect(search.body.total).toBe(1);
  });
});

describe('a message stays in one record', () => {
  it('the patient\'s Communication naming another patient as recipient answers as one naming a missing Patient', async () => {
    const message = (extra: Record<string, unknown>) => ({ resourceType: 'Communication', status: 'completed', subject: { reference: 'Patient/p1' }, sender: { reference: 'Patient/p1' }, payload: [{ contentString: 'bonjour' }], ...extra });
    // `recipient` is a Patient compartment path (one record per row); `about` is not, and is kept as written.
    for (const field of ['recipient'] as const) {
      const ask = (id: string) => call('patient', 'POST', '/Communication', message({ [field]: [{ reference: `Patient/${id}` }] }));
      const [other, missing] = [await ask('p2'), await ask('zz-missing')];
      expect([field, other.status, other.text.split('p2').join('<id>')]).toEqual([field, missing.status, missing.text.split('zz-missing').join('<id>')]);
      expect([field, other.status]).toEqual([field, 422]);
    }
  });
});

describe('a parent\'s rights end at the majority, whatever he tries', () => {
  it('the mother of an adult reads, writes and manages nothing of her record, and cannot make her link a court measure', async () => {
    // Written as the server would (old data): an adult's record, and her mother's link made while she was a minor.
    const ctx = systemContext();
    const fixtures: Resource[] = [
      { resourceType: 'Patient', id: 'adult', name: [{ family: 'GRANDE', given: ['Eve'] }], gender: 'female', birthDate: '2001-03-04', telecom: [{ system: 'email', value: 'eve@example.org' }] },
      consent('adult-open', 'adult', { type: 'permit' }),
      { resourceType: 'RelatedPerson', id: 'rpa', patient: { reference: 'Patient/adult' }, relationship: [{ coding: [{ system: ROLE, code: 'MTH' }] }], telecom: [{ system: 'email', value: 'mere@example.org' }] } as Resource,
    ];
    for (const resource of fixtures) await run.server.service.repo.update(ctx, resource);
    const mother = { kind: 'guardian', id: 'rpa' } as const;
    for (const url of ['/Patient/adult', '/Patient/adult/$everything', '/AuditEvent?patient=Patient/adult', '/Consent?patient=Patient/adult&_summary=count']) {
      const res = await call(mother, 'GET', url);
      expect([url, res.status === 404 || res.status === 403 || res.body?.total === 0]).toEqual([url, true]);
    }
    expect((await call(mother, 'GET', '/Communication?patient=Patient/adult')).status).toBe(403);
    const writes: [string, string, string, unknown, Record<string, string>?][] = [
      ['a consent', 'POST', '/Consent', { ...consent('x', 'adult', { type: 'permit', actor: [byRpps(RPPS.other)] }), id: undefined }],
      ['closing the record', 'POST', '/Patient/adult/$close', { resourceType: 'Parameters', parameter: [{ name: 'reason', valueCode: 'patient-request' }] }],
      ['her contact', 'POST', '/Patient/adult/$change-contact', { resourceType: 'Parameters', parameter: [{ name: 'system', valueString: 'email' }, { name: 'value', valueString: 'mere@example.org' }] }],
      ['her link made a court measure', 'PATCH', '/RelatedPerson/rpa', [{ op: 'replace', path: '/relationship/0/coding/0/code', value: 'GUARD' }, { op: 'add', path: '/period', value: { start: '2019-01-01', end: '2099-12-31' } }], { 'Content-Type': 'application/json-patch+json' }],
      ['a new court measure', 'POST', '/RelatedPerson', { resourceType: 'RelatedPerson', patient: { reference: 'Patient/adult' }, relationship: [{ coding: [{ system: ROLE, code: 'GUARD' }] }], period: { start: '2026-01-01', end: '2099-12-31' } }],
    ];
    for (const [label, method, url, body, headers] of writes) {
      const res = await call(mother, method, url, body, headers);
      expect([label, res.status >= 400]).toEqual([label, true]);
    }
    expect((await call({ kind: 'patient', id: 'adult' }, 'GET', '/RelatedPerson/rpa')).body.relationship[0].coding[0].code).toBe('MTH');
    expect((await call({ kind: 'patient', id: 'adult' }, 'GET', '/Patient/adult')).body.active).not.toBe(false);
  });
});

describe('notices are the record\'s: what legal representatives must not learn stays out of the notices they read', () => {
  it('a guardian reads no notice nor trail entry of the access of a professional who wrote a document hidden from legal representatives', async () => {
    // The minor (p1) authorises a professional she sees in confidence; he files a document hidden from her parents.
    expect((await call('patient', 'POST', '/Consent', { ...consent('x', 'p1', { type: 'permit', actor: [byRpps(CONFIDANT)] }), id: undefined })).status).toBe(201);
    const doc = await call({ kind: 'practitioner', id: CONFIDANT }, 'POST', '/DocumentReference', {
      resourceType: 'DocumentReference', status: 'current', subject: { reference: 'Patient/p1' },
      type: { coding: [{ system: 'http://loinc.org', code: '11488-4' }] },
      securityLabel: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-Confidentiality', code: 'N' }] }, { coding: [{ system: A07, code: 'INVISIBLE_REPRESENTANTS_LEGAUX' }] }],
      content: [{ attachment: { contentType: 'text/plain', data: Buffer.from('consultation confidentielle').toString('base64') } }],
    });
    expect(doc.status).toBe(201);
    expect((await call({ kind: 'practitioner', id: CONFIDANT }, 'GET', '/Patient/p1')).status).toBe(200);
    // The minor reads the notice of his access (the comparison can fail) ...
    const own = await call('patient', 'GET', '/Communication?patient=Patient/p1&_count=200');
    expect(own.status).toBe(200);
    expect(JSON.stringify(own.body)).toContain(CONFIDANT);
    // ... her mother reads none, whatever the search, nor any trace of the document's notice.
    for (const url of ['/Communication?patient=Patient/p1&_count=200', '/Communication?_count=200', '/Communication?subject=Patient/p1&_count=200', '/Communication?recipient=Patient/p1&_count=200']) {
      const mother = await call('guardian', 'GET', url);
      expect([url, mother.status]).toEqual([url, 200]);
      expect([url, JSON.stringify(mother.body).includes(CONFIDANT)]).toEqual([url, false]);
      expect([url, mother.body.total]).toEqual([url, (mother.body.entry ?? []).length]);
    }
    // The trail likewise: the minor reads his accesses, her mother none of them (before: « Dr … read Patient/p1 at … »).
    const minorTrail = await call('patient', 'GET', '/AuditEvent?patient=Patient/p1&_count=1000');
    expect(JSON.stringify(minorTrail.body)).toContain(CONFIDANT);
    const motherTrail = await call('guardian', 'GET', '/AuditEvent?patient=Patient/p1&_count=1000&_total=accurate');
    expect(motherTrail.status).toBe(200);
    expect(JSON.stringify(motherTrail.body)).not.toContain(CONFIDANT);
    expect(motherTrail.body.total).toBe((motherTrail.body.entry ?? []).length);
    expect(motherTrail.body.total).toBeGreaterThan(0);
    const [minorCount, motherCount] = [await call('patient', 'GET', '/AuditEvent/$verify?patient=Patient/p1'), await call('guardian', 'GET', '/AuditEvent/$verify?patient=Patient/p1')];
    const events = (a: { body: { parameter: { name: string; valueInteger?: number }[] } }) => a.body.parameter.find((x) => x.name === 'events')?.valueInteger ?? -1;
    expect(events(motherCount)).toBeLessThan(events(minorCount));
  });
});
