import type { CapabilityStatement, CapabilityStatementRestResource } from '@medplum/fhirtypes';
import request from 'supertest';
import { RPPS } from './fixture';
import { useFixtureApp } from './fixture-app';

// Issue 11: the CapabilityStatement lists exactly what the server really does. Every interaction, search parameter,
// conditional form and operation it advertises is tried over HTTP: the answer may be a refusal (403), a validation
// error (422) or a miss (404 for an id that does not exist), but never "not allowed" (405), "not offered" or "not
// supported". And what it says it does not do is not done: update-as-create is closed to every token actor.

const { app, get } = useFixtureApp({ patient: { kind: 'patient', id: 'p1' }, spec: { kind: 'practitioner', id: RPPS.spec } });
let tokens: Record<string, string>;
let statement: CapabilityStatement;
beforeAll(async () => {
  tokens = { patient: await app().token({ kind: 'patient', id: 'p1' }), spec: await app().token({ kind: 'practitioner', id: RPPS.spec }) };
  statement = (await request(app().app).get('/fhir/metadata')).body as CapabilityStatement;
});

const resources = (): CapabilityStatementRestResource[] => statement.rest?.[0].resource ?? [];

/** A request as the patient (owner of record p1: he may do most things there). */
function call(method: 'get' | 'post' | 'put' | 'patch' | 'delete', url: string, body?: unknown, headers: Record<string, string> = {}) {
  let req = request(app().app)[method](url).set('Authorization', `Bearer ${tokens.patient}`);
  for (const [k, v] of Object.entries(headers)) req = req.set(k, v);
  if (body === undefined) return req;
  return req.set('Content-Type', Array.isArray(body) ? 'application/json-patch+json' : 'application/fhir+json').send(JSON.stringify(body));
}

/** Says why an answer contradicts the statement, or undefined when it is one the statement allows. */
function contradiction(res: { status: number; body: any }): string | undefined {
  const text = JSON.stringify(res.body?.issue ?? '');
  if (res.status === 405) return `405 ${text}`;
  if (res.status >= 500) return `${res.status} ${text}`;
  if (res.status === 404 && /not offered|No FHIR interaction|not supported|Unknown resource type/.test(text)) return `404 ${text}`;
  if (res.status === 400 && /not supported|Unknown search parameter/.test(text)) return `400 ${text}`;
  return undefined;
}

/** The request that exercises one advertised interaction of a type. */
function interactionRequest(type: string, code: string) {
  const missing = 'no-such-id';
  switch (code) {
    case 'read': return call('get', `/fhir/${type}/${missing}`);
    case 'vread': return call('get', `/fhir/${type}/${missing}/_history/1`);
    case 'history-instance': return call('get', `/fhir/${type}/${missing}/_history`);
    case 'history-type': return call('get', `/fhir/${type}/_history`);
    case 'search-type': return call('get', `/fhir/${type}`);
    case 'create': return call('post', `/fhir/${type}`, { resourceType: type });
    case 'update': return call('put', `/fhir/${type}/${missing}`, { resourceType: type, id: missing });
    case 'patch': return call('patch', `/fhir/${type}/${missing}`, [{ op: 'add', path: '/language', value: 'fr' }]);
    case 'delete': return call('delete', `/fhir/${type}/${missing}`);
    default: throw new Error(`no request written for interaction ${code}`);
  }
}

const SAMPLE: Record<string, string> = { token: 'x', string: 'x', date: '2020-01-01', reference: 'Patient/p1', quantity: '5', number: '5', uri: 'http://example.org/x' };

describe('the CapabilityStatement tells the truth', () => {
  it('lists only offered types, each with at least read and search', () => {
    expect(resources().length).toBeGreaterThan(20);
    for (const r of resources()) expect([r.type, (r.interaction ?? []).map((i) => i.code)]).toEqual([r.type, expect.arrayContaining(['read', 'search-type'])]);
  });

  it('answers every advertised interaction of every type (never 405, not-offered or not-supported)', async () => {
    const wrong: string[] = [];
    for (const r of resources()) {
      for (const { code } of r.interaction ?? []) {
        const res = await interactionRequest(r.type, code);
        const why = contradiction(res);
        if (why) wrong.push(`${r.type} ${code}: ${why}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it('does not offer what it does not list: every unlisted interaction of every type answers 405, and nothing changes', async () => {
    // Closed by default: the router refuses an interaction the statement does not list for the type, whoever asks
    // (AuditEvent history-type was answered 200 to its patient while unlisted). The patient owns p1: a refusal here is
    // the router's, not his rights'.
    const ALL = ['read', 'vread', 'history-instance', 'history-type', 'search-type', 'create', 'update', 'patch', 'delete'];
    const wrong: string[] = [];
    let unlisted = 0;
    for (const r of resources()) {
      const listed = new Set<string>((r.interaction ?? []).map((i) => i.code));
      for (const code of ALL.filter((c) => !listed.has(c))) {
        unlisted++;
        const res = await interactionRequest(r.type, code);
        if (res.status !== 405 || res.body?.resourceType !== 'OperationOutcome') wrong.push(`${r.type} ${code}: ${res.status} ${JSON.stringify(res.body).slice(0, 160)}`);
      }
    }
    expect(wrong).toEqual([]);
    // AuditEvent: no create, update, patch, delete, history-type; Patient: no delete.
    expect(unlisted).toBeGreaterThanOrEqual(6);
    const audit = resources().find((r) => r.type === 'AuditEvent');
    expect(audit?.interaction?.map((i) => i.code).sort()).toEqual(['history-instance', 'read', 'search-type', 'vread']);
    expect((await call('delete', '/fhir/Patient/p1')).status).toBe(405);
    expect((await call('put', '/fhir/Patient/p1?', undefined)).status).not.toBe(500);
    expect((await get('patient', '/fhir/Patient/p1')).status).toBe(200);
  });

  it('advertises for AuditEvent exactly the search parameters its trail is stored with', () => {
    const audit = resources().find((r) => r.type === 'AuditEvent');
    expect((audit?.searchParam ?? []).map((p) => p.name).sort()).toEqual(['_has', '_id', '_lastUpdated', 'action', 'agent', 'date', 'patient', 'purpose']);
    expect(audit?.searchInclude?.sort()).toEqual(['AuditEvent:*', 'AuditEvent:agent', 'AuditEvent:patient']);
    for (const r of resources()) expect([r.type, (r.searchRevInclude ?? []).filter((v) => v.startsWith('AuditEvent:') && !['AuditEvent:agent', 'AuditEvent:patient'].includes(v))]).toEqual([r.type, []]);
  });

  it('accepts every advertised search parameter under Prefer: handling=strict', async () => {
    const wrong: string[] = [];
    for (const r of resources()) {
      for (const p of r.searchParam ?? []) {
        // `_has` is advertised with the reverse chain its documentation names (`e.g. _has:Observation:patient:_id=…`).
        const example = p.name === '_has' ? /e\.g\. (_has:[A-Za-z]+:[a-z-]+:_id)=/.exec(p.documentation ?? '')?.[1] : undefined;
        if (p.name === '_has' && !example) wrong.push(`${r.type}?_has: no example in ${JSON.stringify(p.documentation)}`);
        const value = SAMPLE[p.type] ?? 'x';
        const res = await call('get', `/fhir/${r.type}?${encodeURIComponent(example ?? p.name)}=${encodeURIComponent(value)}&_count=1`, undefined, { Prefer: 'handling=strict' });
        const why = contradiction(res) ?? (res.status === 400 ? `400 ${JSON.stringify(res.body?.issue)}` : undefined);
        if (why) wrong.push(`${r.type}?${p.name}: ${why}`);
      }
    }
    expect(wrong).toEqual([]);
  });

  it('lists the _include and _revinclude values that work, and each one answers under Prefer: handling=strict', async () => {
    const patient = resources().find((r) => r.type === 'Patient');
    // Read from the registry by hand: allergies and documents point at their patient, a Patient at its physician.
    expect(patient?.searchRevInclude).toEqual(expect.arrayContaining(['AllergyIntolerance:patient', 'DocumentReference:subject', 'Observation:subject']));
    expect(patient?.searchRevInclude).not.toContain('Observation:specimen');
    expect(resources().find((r) => r.type === 'Practitioner')?.searchRevInclude).toContain('Patient:general-practitioner');
    expect(patient?.searchInclude).toEqual(expect.arrayContaining(['Patient:*', 'Patient:general-practitioner']));
    const wrong: string[] = [];
    for (const r of resources()) {
      for (const [param, values] of [['_include', r.searchInclude ?? []], ['_revinclude', r.searchRevInclude ?? []]] as const) {
        for (const value of values) {
          const res = await call('get', `/fhir/${r.type}?${param}=${encodeURIComponent(value)}&_count=1`, undefined, { Prefer: 'handling=strict' });
          if (res.status !== 200) wrong.push(`${r.type}?${param}=${value}: ${res.status} ${JSON.stringify(res.body?.issue)}`);
        }
      }
    }
    expect(wrong).toEqual([]);
  });

  it('adds what a listed _revinclude names (the patient\'s allergies to his Patient)', async () => {
    const res = await call('get', '/fhir/Patient?_id=p1&_revinclude=AllergyIntolerance:patient');
    expect(res.status).toBe(200);
    expect(res.body.entry.filter((e: any) => e.search.mode === 'include').map((e: any) => e.resource.resourceType)).toContain('AllergyIntolerance');
  });

  it('refuses a _revinclude or _include value it does not list, instead of answering it empty', async () => {
    const patient = resources().find((r) => r.type === 'Patient');
    const offered = new Set(resources().map((r) => r.type));
    // ResearchSubject points at a Patient but is not offered; Observation's specimen never points at a Patient.
    expect(offered.has('ResearchSubject')).toBe(false);
    for (const value of ['ResearchSubject:individual', 'Observation:specimen', 'Observation:*', 'Observation:subject:Group']) {
      expect(patient?.searchRevInclude).not.toContain(value);
      const res = await call('get', `/fhir/Patient?_revinclude=${encodeURIComponent(value)}`);
      expect([value, res.status, res.body.resourceType]).toEqual([value, 400, 'OperationOutcome']);
    }
    expect(patient?.searchInclude).not.toContain('*');
    expect((await call('get', '/fhir/Patient?_include=*')).status).toBe(400);
  });

  it('advertises _has (reverse chaining) on the types searchable resources can point at, and it answers', async () => {
    const has = (type: string) => resources().find((r) => r.type === type)?.searchParam?.find((p) => p.name === '_has');
    expect(has('Patient')?.type).toBe('special');
    expect(has('DocumentReference')).toBeDefined();
    const res = await call('get', '/fhir/Patient?_has:AllergyIntolerance:patient:_id=a1', undefined, { Prefer: 'handling=strict' });
    expect([res.status, res.body.entry?.map((e: any) => e.resource.id)]).toEqual([200, ['p1']]);
  });

  it('answers the conditional forms it advertises per type', async () => {
    const wrong: string[] = [];
    for (const r of resources()) {
      const tries: [string, () => request.Test][] = [];
      if (r.conditionalCreate) tries.push(['conditional create', () => call('post', `/fhir/${r.type}`, { resourceType: r.type }, { 'If-None-Exist': '_id=no-such-id' })]);
      if (r.conditionalUpdate) tries.push(['conditional update', () => call('put', `/fhir/${r.type}?_id=no-such-id`, { resourceType: r.type })]);
      if (r.conditionalDelete === 'single') tries.push(['conditional delete', () => call('delete', `/fhir/${r.type}?_id=no-such-id`)]);
      if (r.conditionalRead === 'modified-since') tries.push(['conditional read', () => call('get', `/fhir/${r.type}/no-such-id`, undefined, { 'If-Modified-Since': new Date().toUTCString() })]);
      for (const [what, send] of tries) {
        const why = contradiction(await send());
        if (why) wrong.push(`${r.type} ${what}: ${why}`);
      }
      // A type that offers no update, create or delete does not claim their conditional forms either.
      const codes = (r.interaction ?? []).map((i) => i.code);
      if (!codes.includes('update')) expect([r.type, r.conditionalUpdate, r.updateCreate]).toEqual([r.type, false, false]);
      if (!codes.includes('create')) expect([r.type, r.conditionalCreate]).toEqual([r.type, false]);
      if (!codes.includes('delete')) expect([r.type, r.conditionalDelete]).toEqual([r.type, 'not-supported']);
    }
    expect(wrong).toEqual([]);
  });

  it('says updateCreate: false, and a PUT under a new id is indeed refused to a professional who may create there', async () => {
    const observation = resources().find((r) => r.type === 'Observation');
    expect(observation?.updateCreate).toBe(false);
    const body = { resourceType: 'Observation', id: 'client-chosen-id', status: 'final', code: { text: 'x' }, subject: { reference: 'Patient/p1' } };
    const put = await request(app().app).put('/fhir/Observation/client-chosen-id').set('Authorization', `Bearer ${tokens.spec}`).set('Content-Type', 'application/fhir+json').send(JSON.stringify(body));
    expect(put.status).toBe(403);
    const post = await request(app().app).post('/fhir/Observation').set('Authorization', `Bearer ${tokens.spec}`).set('Content-Type', 'application/fhir+json').send(JSON.stringify({ ...body, id: undefined }));
    expect(post.status).toBe(201);
  });

  it('answers every advertised operation at its level', async () => {
    const wrong: string[] = [];
    for (const o of app().service.operations) {
      const url = o.level === 'system' ? `/fhir/${o.name}` : o.level === 'type' ? `/fhir/${o.resourceType}/${o.name}` : `/fhir/${o.resourceType}/p1/${o.name}`;
      const listed = o.level === 'system' ? statement.rest?.[0].operation : resources().find((r) => r.type === o.resourceType)?.operation;
      expect(listed?.map((x) => x.name)).toContain(o.name.replace(/^\$/, ''));
      const res = o.methods.includes('GET') ? await call('get', url) : await call('post', url, { resourceType: 'Parameters' });
      const why = contradiction(res);
      if (why) wrong.push(`${o.name}: ${why}`);
    }
    expect(wrong).toEqual([]);
  });
});
