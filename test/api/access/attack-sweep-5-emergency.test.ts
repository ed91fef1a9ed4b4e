import type { MintOptions } from '../../../src/auth/mint-token';
import { byRpps, consent, RPPS } from './fixture';
import { useSweepServer, type Answer } from './sweep-4';

// Issue 11's outside check, fifth sweep, family "break-glass and SAMU", over HTTP on the production composition.
// Expected answers come from the rules (src/access/README.md "Who may do what": break-glass and the SAMU regulator read
// the non-masked record unless the patient refused it; break-glass without a reason → 400; DESIGN §4: emergency access
// is a read; DMP-CONTRACT §1.1: a blocked professional never gets access). Fixture: p1 open, d2 masked by consent, d3
// MASQUE_PS, Practitioner/blocked blocked; p2 refused BTG and ETREAT; p4 closed.

const { call } = useSweepServer('dmp-sweep5-emergency-');
const REASON = 'arrêt cardiaque';
const BTG: MintOptions = { kind: 'practitioner', id: '10000000055', purpose: 'BTG', reason: REASON };
const SAMU: MintOptions = { kind: 'practitioner', id: '10000000066', role: 'samu-regulator' };
const JSON_PATCH = { 'Content-Type': 'application/json-patch+json' };
const observation = (patient = 'p1') => ({ resourceType: 'Observation', status: 'final', code: { text: 'glycémie' }, subject: { reference: `Patient/${patient}` }, valueQuantity: { value: 0.4, unit: 'g/L' } });
const ids = (answer: Answer): string[] => ((answer.body?.entry ?? []) as { resource: { resourceType: string; id: string } }[]).map((e) => `${e.resource.resourceType}/${e.resource.id}`);

describe('break-glass needs a reason, whatever carries the purpose', () => {
  it('a token or header stating BTG without a reason, or with a blank one, is refused with 400 and reads nothing', async () => {
    const cases: [string, MintOptions, Record<string, string>][] = [
      ['token without reason', { kind: 'practitioner', id: '10000000055', purpose: 'BTG' }, {}],
      ['token with a blank reason', { kind: 'practitioner', id: '10000000055', purpose: 'BTG', reason: '   ' }, {}],
      ['header without reason', { kind: 'practitioner', id: '10000000055' }, { 'X-Purpose-Of-Use': 'BTG' }],
      ['header with a blank reason', { kind: 'practitioner', id: '10000000055' }, { 'X-Purpose-Of-Use': 'BTG', 'X-Purpose-Reason': '%20%09' }],
      ['header with an empty reason over a token that had one', BTG, { 'X-Purpose-Of-Use': 'BTG', 'X-Purpose-Reason': '%20' }],
    ];
    for (const [label, who, headers] of cases) {
      for (const url of ['/DocumentReference/d1', '/Patient/p1/$everything', '/DocumentReference?patient=Patient/p1&_summary=count']) {
        const res = await call(who, 'GET', url, undefined, headers);
        expect([label, url, res.status]).toEqual([label, url, 400]);
        expect([label, url, JSON.stringify(res.body)]).not.toContain('report d1');
      }
    }
  });
});

describe('emergency access reads the non-masked record only', () => {
  for (const [label, who] of [['break-glass', BTG], ['SAMU', SAMU]] as const) {
    it(`${label}: what the patient masked stays absent, by every path; totals count only what is shown`, async () => {
      expect((await call(who, 'GET', '/DocumentReference/d1')).status).toBe(200);
      for (const url of ['/DocumentReference/d2', '/DocumentReference/d3', '/Binary/d2-bin', '/Binary/d3-bin', '/Observation/d2-obs', '/Observation/d3-obs', '/DocumentReference/d2/_history', '/DocumentReference/d3/_history/1']) {
        expect([label, url, (await call(who, 'GET', url)).status]).toEqual([label, url, 404]);
      }
      const everything = await call(who, 'GET', '/Patient/p1/$everything?_count=1000');
      expect(everything.status).toBe(200);
      const seen = ids(everything);
      expect(seen).toContain('DocumentReference/d1');
      for (const hidden of ['DocumentReference/d2', 'DocumentReference/d3', 'Binary/d2-bin', 'Observation/d3-obs']) expect([label, seen.includes(hidden)]).toEqual([label, false]);
      const search = await call(who, 'GET', '/DocumentReference?patient=Patient/p1&_total=accurate&_count=1');
      const all = await call(who, 'GET', '/DocumentReference?patient=Patient/p1&_count=1000');
      expect(search.body.total).toBe(ids(all).length);
      expect(ids(all)).not.toContain('DocumentReference/d2');
      expect(JSON.stringify(search.body.link ?? [])).not.toMatch(/d2|d3/);
      // Consents are not the record's data: an emergency reads none, so none tells who was blocked or what was masked.
      const consents = await call(who, 'GET', '/Consent?patient=Patient/p1&_total=accurate');
      expect([label, consents.body.total]).toEqual([label, 0]);
    });
  }

  it('a patient who refused break-glass and SAMU in advance is absent for them; a closed record too', async () => {
    for (const who of [BTG, SAMU]) {
      for (const url of ['/Patient/p2', '/DocumentReference/e1', '/Patient/p2/$everything', '/Patient/p4', '/DocumentReference/g1']) {
        const res = await call(who, 'GET', url);
        expect([who.role ?? who.purpose, url, res.status]).toEqual([who.role ?? who.purpose, url, 404]);
      }
    }
  });

  it('a blocked professional gets nothing in break-glass or as a SAMU regulator', async () => {
    const blockedBtg: MintOptions = { kind: 'practitioner', id: RPPS.blocked, purpose: 'BTG', reason: REASON };
    const blockedSamu: MintOptions = { kind: 'practitioner', id: RPPS.blocked, role: 'samu-regulator' };
    for (const who of [blockedBtg, blockedSamu]) {
      expect((await call(who, 'GET', '/DocumentReference/d1')).status).toBe(404);
      expect((await call(who, 'GET', '/Patient/p1/$everything')).status).toBe(404);
      expect((await call(who, 'GET', '/DocumentReference?patient=Patient/p1&_summary=count')).body.total).toBe(0);
    }
  });

  it('a patient, a guardian or a feeder stating BTG gains nothing', async () => {
    const headers = { 'X-Purpose-Of-Use': 'BTG', 'X-Purpose-Reason': encodeURIComponent(REASON) };
    expect((await call('p2', 'GET', '/DocumentReference/d1', undefined, headers)).status).toBe(404);
    expect((await call('guardian', 'GET', '/DocumentReference/d5', undefined, headers)).status).toBe(404);
    expect((await call('patient', 'GET', '/DocumentReference/d4', undefined, headers)).status).toBe(404);
    expect((await call('feeder', 'GET', '/DocumentReference?patient=Patient/p1&_summary=count', undefined, headers)).body?.total ?? 0).toBe(0);
  });
});

describe('emergency access is a read: it writes nothing', () => {
  for (const [label, who] of [['break-glass', BTG], ['SAMU', SAMU]] as const) {
    it(`${label}: no entry, no label or status change, no consent, no identity change, in no form`, async () => {
      const before = (await call('patient', 'GET', '/Observation?patient=Patient/p1&_summary=count')).body.total;
      const writes: [string, string, string, unknown, Record<string, string>?][] = [
        ['create', 'POST', '/Observation', observation()],
        ['conditional create', 'POST', '/Observation', observation(), { 'If-None-Exist': 'code=zz-none' }],
        ['transaction create', 'POST', '', { resourceType: 'Bundle', type: 'transaction', entry: [{ resource: observation(), request: { method: 'POST', url: 'Observation' } }] }],
        ['document (ITI-105)', 'POST', '/DocumentReference', { resourceType: 'DocumentReference', status: 'current', subject: { reference: 'Patient/p1' }, content: [{ attachment: { contentType: 'text/plain', data: 'eA==' } }] }],
        ['status of a document', 'PATCH', '/DocumentReference/d1', [{ op: 'replace', path: '/status', value: 'superseded' }], JSON_PATCH],
        ['a permit for himself', 'POST', '/Consent', { ...consent('x', 'p1', { type: 'permit', actor: [byRpps(who.id)] }), id: undefined }],
        ['the patient\'s telecom', 'PATCH', '/Patient/p1', [{ op: 'add', path: '/telecom/-', value: { system: 'email', value: 'urgence@example.org' } }], JSON_PATCH],
        ['a contact person', 'POST', '/RelatedPerson', { resourceType: 'RelatedPerson', patient: { reference: 'Patient/p1' }, relationship: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-RoleCode', code: 'FRND' }] }] }],
        ['the allergy the patient entered', 'DELETE', '/AllergyIntolerance/a1', undefined],
      ];
      for (const [what, method, url, body, headers] of writes) {
        const res = await call(who, method, url, body, headers);
        expect([label, what, res.status >= 400]).toEqual([label, what, true]);
      }
      expect((await call('patient', 'GET', '/Observation?patient=Patient/p1&_summary=count')).body.total).toBe(before);
      expect((await call('patient', 'GET', '/DocumentReference/d1')).body.status).toBe('current');
      expect((await call('patient', 'GET', '/AllergyIntolerance/a1')).status).toBe(200);
    });
  }
});

describe('the reason goes where the patient reads it', () => {
  it('the patient\'s trail and notices carry the break-glass access with its reason', async () => {
    expect((await call(BTG, 'GET', '/Patient/p1')).status).toBe(200);
    const trail = await call('patient', 'GET', '/AuditEvent?patient=Patient/p1&purpose=BTG&_count=1000');
    expect(trail.status).toBe(200);
    expect(trail.body.total).toBeGreaterThan(0);
    expect(JSON.stringify(trail.body)).toContain(REASON);
    const notices = await call('patient', 'GET', '/Communication?patient=Patient/p1&_count=200');
    expect(JSON.stringify(notices.body)).toContain(REASON);
    // Another professional reads no trail (the reason and who came are the patient's to read).
    expect((await call('spec', 'GET', '/AuditEvent?patient=Patient/p1')).status).toBeGreaterThanOrEqual(400);
  });
});
