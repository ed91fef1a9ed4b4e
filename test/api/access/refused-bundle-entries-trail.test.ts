import type { AuditEvent, Bundle } from '@medplum/fhirtypes';
import { type AuditServer, startAuditServer } from '../audit/server-harness';
import { loadFixture } from './fixture';

// Issue 11: "refused requests are filed in the trail of the patient they concern". A write refused inside a batch
// (answered 200, the entry 403) or a transaction (refused whole) concerns the patient the entry names, and a Bundle
// refused whole to someone who may never access the DMP concerns the patients its entries name: each is filed in that
// patient's trail, as he reads it, and in no other patient's.
let s: AuditServer;
const tokens: Record<string, string> = {};

beforeAll(async () => {
  s = await startAuditServer();
  await loadFixture(s.server.service);
  tokens.insurer = await s.token({ kind: 'system', id: 'mutuelle', category: 'insurer' });
  tokens.stranger = await s.token({ kind: 'practitioner', id: '10000000077' }); // authorised in no record
  tokens.p2 = await s.token({ kind: 'patient', id: 'p2' });
  tokens.p3 = await s.token({ kind: 'patient', id: 'p3' });
}, 120_000);
afterAll(() => s?.close());

/** The refused attempts in a patient's trail, as that patient reads them through the API. */
async function refusals(patientId: 'p2' | 'p3'): Promise<AuditEvent[]> {
  const res = await s.fhir(tokens[patientId], 'GET', `/AuditEvent?patient=${patientId}&_count=500`);
  expect(res.status).toBe(200);
  return ((res.body as Bundle).entry ?? []).map((e) => e.resource as AuditEvent).filter((e) => e.outcome !== '0');
}

const observationFor = (patientId: string) => ({ resourceType: 'Observation', status: 'final', code: { text: 'glycémie' }, subject: { reference: `Patient/${patientId}` } });
const bundle = (type: 'batch' | 'transaction', ...entries: unknown[]) => ({ resourceType: 'Bundle', type, entry: entries });
const createEntry = (patientId: string) => ({ fullUrl: `urn:uuid:${crypto.randomUUID()}`, resource: observationFor(patientId), request: { method: 'POST', url: 'Observation' } });

describe('refused Bundle entries are filed in the trail of the patient they concern', () => {
  it('files an unauthorised practitioner’s refused batch entry in p2’s trail, though the batch answers 200', async () => {
    const [before2, before3] = [(await refusals('p2')).length, (await refusals('p3')).length];
    const res = await s.fhir(tokens.stranger, 'POST', '', bundle('batch', createEntry('p2')));
    expect(res.status).toBe(200);
    // He does not see p2's record: his answer is that of a missing Patient (422), the trail files the real refusal.
    expect(res.body.entry[0].response.status).toBe('422');
    const trail = await refusals('p2');
    expect(trail).toHaveLength(before2 + 1);
    const event = trail[trail.length - 1];
    expect(event.outcomeDesc).toBe('You are not authorised to write in this record (HTTP 422)');
    expect(event.agent?.find((a) => a.requestor)?.who?.identifier?.value ?? event.agent?.find((a) => a.requestor)?.who?.display).toMatch(/10000000077/);
    expect(await refusals('p3')).toHaveLength(before3);
  });

  it('files a creation refused as absence (a record the writer does not see) with its real reason', async () => {
    const before2 = (await refusals('p2')).length;
    const res = await s.fhir(tokens.stranger, 'POST', '/Observation', observationFor('p2'));
    expect(res.status).toBe(422);
    expect((res.body as { issue: { diagnostics: string }[] }).issue[0].diagnostics).toBe('A Observation must belong to one patient\'s record: Patient/p2 does not exist on this server');
    const trail = await refusals('p2');
    expect(trail).toHaveLength(before2 + 1);
    expect(trail[trail.length - 1].outcomeDesc).toBe('You are not authorised to write in this record (HTTP 422)');
  });

  it('files the refused entry of a transaction (refused whole) in the trail of that entry’s patient', async () => {
    const before2 = (await refusals('p2')).length;
    const update = { resource: { ...observationFor('p2'), id: 'e1-obs' }, request: { method: 'PUT', url: 'Observation/e1-obs' } };
    const res = await s.fhir(tokens.stranger, 'POST', '', bundle('transaction', update));
    expect(res.status).toBe(403);
    expect(res.body.resourceType).toBe('OperationOutcome');
    expect(await refusals('p2')).toHaveLength(before2 + 1);
  });

  it('files a Bundle refused whole to an insurer in the trail of each patient its entries name', async () => {
    const [before2, before3] = [(await refusals('p2')).length, (await refusals('p3')).length];
    const res = await s.fhir(tokens.insurer, 'POST', '', bundle('batch', createEntry('p2'), { request: { method: 'GET', url: 'Observation?subject=Patient/p3' } }));
    expect(res.status).toBe(403);
    expect(res.body.resourceType).toBe('OperationOutcome');
    expect(await refusals('p2')).toHaveLength(before2 + 1);
    expect(await refusals('p3')).toHaveLength(before3 + 1);
  });

  it('files nothing in the trail of a patient no entry names', async () => {
    const before3 = (await refusals('p3')).length;
    expect((await s.fhir(tokens.insurer, 'POST', '', bundle('transaction', createEntry('p2')))).status).toBe(403);
    expect((await s.fhir(tokens.stranger, 'POST', '', bundle('batch', createEntry('p2')))).status).toBe(200);
    expect(await refusals('p3')).toHaveLength(before3);
  });
});
