import request from 'supertest';
import type { MintOptions } from '../../../src/auth/mint-token';
import { byRef, byRpps, consent, IDNAT, INS_NIR, P1_INS, RPPS } from './fixture';
import { useFixtureApp } from './fixture-app';

// Issue 11's attacks, replayed once more by family with nothing but a token the server issues: another patient, an
// unauthorised practitioner, a feeder, an organisation the law excludes, a blocked practitioner. Expected answers
// come from the rules (DESIGN §4–5, src/access/README.md): hidden is absent (404, totals 0), a write into a record
// one may not write is 403, excluded categories get 403 on everything but the public metadata.

const WHO: Record<string, MintOptions> = {
  'another patient': { kind: 'patient', id: 'p2' },
  'unauthorised practitioner': { kind: 'practitioner', id: '10000000077' },
  feeder: { kind: 'system', id: 'lab-feeder' },
  insurer: { kind: 'practitioner', id: '10000000044', category: 'insurer' },
  employer: { kind: 'system', id: 'acme-hr', category: 'employer' },
  bank: { kind: 'system', id: 'bank', category: 'bank' },
  blocked: { kind: 'practitioner', id: RPPS.blocked },
  patient: { kind: 'patient', id: 'p1' },
};
const { app, get, send } = useFixtureApp(WHO);

const observation = { resourceType: 'Observation', status: 'final', code: { text: 'injected' }, subject: { reference: 'Patient/p1' } };
const condition = { resourceType: 'Condition', subject: { reference: 'Patient/p1' }, code: { text: 'injected diagnosis' } };
const total = async (who: string, url: string): Promise<number> => (await get(who, `${url}${url.includes('?') ? '&' : '?'}_summary=count`)).body.total;
const p1Total = async (): Promise<number> => total('patient', '/fhir/Observation?subject=Patient/p1');

/** The ids of p1's record a search answered (its own and included rows). */
async function p1Rows(who: string, url: string): Promise<string[]> {
  const res = await get(who, url);
  expect([who, url, res.status]).toEqual([who, url, 200]);
  return (res.body.entry ?? []).map((e: any) => e.resource).filter((r: any) => JSON.stringify(r).includes('Patient/p1') || r.id === 'p1').map((r: any) => `${r.resourceType}/${r.id}`);
}

describe.each(['another patient', 'unauthorised practitioner', 'feeder', 'blocked'])('%s gets nothing of p1’s record', (who) => {
  it('reads and searches nothing of it: 404 and totals 0, includes and history included', async () => {
    expect((await get(who, '/fhir/Patient/p1')).status).toBe(404);
    expect((await get(who, '/fhir/DocumentReference/d1')).status).toBe(404);
    expect((await get(who, '/fhir/Binary/d1-bin')).status).toBe(404);
    expect([403, 404]).toContain((await get(who, '/fhir/Patient/p1/$everything')).status);
    expect(await total(who, '/fhir/Observation?subject=Patient/p1')).toBe(0);
    expect(await total(who, `/fhir/Patient?identifier=${encodeURIComponent(`${INS_NIR}|${P1_INS}`)}`)).toBe(0);
    expect(await p1Rows(who, '/fhir/Practitioner?_revinclude=Patient:general-practitioner&_revinclude=DocumentReference:author')).toEqual([]);
    expect(await p1Rows(who, '/fhir/AllergyIntolerance?_include=AllergyIntolerance:patient')).toEqual([]);
    expect(await p1Rows(who, '/fhir/_history?_count=500')).toEqual([]);
    expect(await p1Rows(who, '/fhir/Observation/_history?_count=500')).toEqual([]);
  });

  it('reads nothing of it through a Bundle either', async () => {
    const res = await send(who, 'post', '/fhir', { resourceType: 'Bundle', type: 'batch', entry: [
      { request: { method: 'GET', url: 'Patient/p1' } },
      { request: { method: 'GET', url: 'Observation?subject=Patient/p1' } },
    ] });
    expect(res.status).toBe(200);
    expect(res.body.entry[0].response.status).toMatch(/^404/);
    expect(res.body.entry[1].resource?.total ?? 0).toBe(0);
  });

  it('writes nothing into it: create, Bundle entries, consents, the Patient', async () => {
    // A feeder too: it submits documents, never a free-standing row (fed-documents.ts; feeder-documents-only.test.ts).
    // Those who do not see p1's record get the answer of a Patient that does not exist (hidden is absent); the feeder,
    // refused for what it is, 403.
    const refused = who === 'feeder' ? 403 : 422;
    const before = await p1Total();
    expect((await send(who, 'post', '/fhir/Observation', observation)).status).toBe(refused);
    expect((await send(who, 'post', '/fhir/Condition', condition)).status).toBe(refused);
    const batch = await send(who, 'post', '/fhir', { resourceType: 'Bundle', type: 'batch', entry: [{ resource: observation, request: { method: 'POST', url: 'Observation' } }] });
    expect(batch.body.entry[0].response.status).toMatch(new RegExp(`^${refused}`));
    expect((await send(who, 'post', '/fhir', { resourceType: 'Bundle', type: 'transaction', entry: [{ resource: observation, request: { method: 'POST', url: 'Observation' } }] })).status).toBe(refused);
    expect(await p1Total()).toBe(before);
    // Granting oneself access, or lifting a block, is the patient's alone.
    const self = who === 'blocked' ? byRef('blocked') : byRpps('10000000077');
    expect((await send(who, 'post', '/fhir/Consent', { ...consent('x', 'p1', { type: 'permit', actor: [self] }), id: undefined })).status).toBe(refused);
    // Hidden from him: the same no-op 200 as a missing Consent (hidden is absent), and the block stays.
    expect([200, 403]).toContain((await send(who, 'delete', '/fhir/Consent/c1-blocked')).status);
    expect((await get('patient', '/fhir/Consent/c1-blocked')).status).toBe(200);
    expect((await send(who, 'put', '/fhir/Patient/p1', { resourceType: 'Patient', id: 'p1', identifier: [{ system: INS_NIR, value: P1_INS }], name: [{ family: 'Pirate', given: ['Test'] }], gender: 'female', birthDate: '2015-04-02' })).status).toBe(403);
    expect((await get('patient', '/fhir/Patient/p1')).body.name[0].family).toBe('Martin');
  });

  it('cannot take over the directory entry that names p1’s treating physician', async () => {
    const res = await send(who, 'put', '/fhir/Practitioner/gp', { resourceType: 'Practitioner', id: 'gp', identifier: [{ system: IDNAT, value: `8${RPPS.gp}` }, { system: IDNAT, value: '810000000077' }] });
    expect(res.status).toBe(403);
    expect((await get(who, '/fhir/DocumentReference/d2')).status).toBe(404);
  });
});

describe.each(['insurer', 'employer', 'bank'])('%s (excluded by law) gets 403 on everything', (who) => {
  it.each([
    ['get', '/fhir/Practitioner'],
    ['get', '/fhir/Patient/p1'],
    ['get', '/fhir/Patient/p1/$everything'],
    ['get', '/fhir/_history'],
    ['get', '/fhir/AuditEvent?patient=p1'],
    ['post', '/fhir/Observation'],
    ['post', '/fhir'],
    ['delete', '/fhir/Observation/d1-obs'],
  ] as const)('%s %s → 403', async (method, url) => {
    const body = method === 'post' ? (url === '/fhir' ? { resourceType: 'Bundle', type: 'batch', entry: [{ request: { method: 'GET', url: 'Patient/p1' } }] } : observation) : undefined;
    const res = method === 'get' ? await get(who, url) : await send(who, method, url, body);
    expect(res.status).toBe(403);
    expect(res.body.resourceType).toBe('OperationOutcome');
  });

  it('still reads the public CapabilityStatement', async () => {
    expect((await request(app().app).get('/fhir/metadata')).status).toBe(200);
  });
});
