import type { AuditEvent, Bundle, Resource } from '@medplum/fhirtypes';
import { buildConsent } from '../../support/consent';
import { type AuditServer, startAuditServer } from './server-harness';

const consent = (id: string): Resource => buildConsent(id, 'p1', { type: 'permit' });

async function trail(s: AuditServer, token: string): Promise<AuditEvent[]> {
  const res = await s.fhir(token, 'GET', '/AuditEvent?patient=p1&_count=100');
  return ((res.body as Bundle).entry ?? []).map((e) => e.resource as AuditEvent);
}

const touches = (e: AuditEvent, reference: string) => (e.entity ?? []).some((x) => x.what?.reference?.startsWith(reference));

describe('reads inside transaction and batch Bundles', () => {
  let s: AuditServer;
  let patient: string;

  beforeAll(async () => {
    s = await startAuditServer();
    await s.server.service.repo.update(s.systemContext(), { resourceType: 'Patient', id: 'p1', name: [{ family: 'DUPONT' }] } as Resource);
    patient = await s.token({ kind: 'patient', id: 'p1' });
  }, 60_000);
  afterAll(() => s?.close());

  // The tests take the configuration's time-out (jest.config.js): at 30 s, the first one (whose first write also
  // compiles the validator) ran out on a machine at load average ~25 and left its events to the next test.
  it('answers a transaction mixing a write and reads, auditing the reads through the same transaction', async () => {
    const bundle: Bundle = {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        { fullUrl: 'urn:uuid:0b0c1d8e-0000-4000-8000-000000000001', resource: consent('t-consent'), request: { method: 'POST', url: 'Consent' } },
        { request: { method: 'GET', url: 'Patient/p1' } },
        { request: { method: 'GET', url: 'Consent?patient=p1' } },
      ],
    };
    const res = await s.fhir(patient, 'POST', '/', bundle);
    expect(res.status).toBe(200);
    expect(res.body.entry.map((e: any) => e.response.status)).toEqual(['201 Created', '200 OK', '200 OK']);
    const created = /Consent\/[^/]+/.exec(String(res.body.entry[0].response.location))![0];
    const events = await trail(s, patient);
    expect(events.filter((e) => e.action === 'C' && touches(e, created))).toHaveLength(1);
    expect(events.filter((e) => e.action === 'R' && touches(e, 'Patient/p1/'))).toHaveLength(1);
    expect(events.filter((e) => e.subtype?.[0].code === 'search-type' && touches(e, created))).toHaveLength(1);
  });

  it('audits nothing of a transaction that fails, and keeps the chain intact', async () => {
    const before = (await trail(s, patient)).length;
    const bundle: Bundle = {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        { request: { method: 'GET', url: 'Patient/p1' } },
        { resource: { resourceType: 'Consent' } as Resource, request: { method: 'POST', url: 'Consent' } },
      ],
    };
    const res = await s.fhir(patient, 'POST', '/', bundle);
    expect(res.status).toBeGreaterThanOrEqual(400);
    // Only the trail search just made was added: the rolled-back read left nothing.
    const after = await trail(s, patient);
    expect(after.filter((e) => e.subtype?.[0].code === 'read' && e.entity?.some((x) => x.what?.reference?.startsWith('Patient/p1/')))).toHaveLength(1);
    expect(after.length).toBe(before + 1);
    const verify = await s.fhir(patient, 'GET', '/AuditEvent/$verify');
    expect(verify.body.parameter[0]).toEqual({ name: 'intact', valueBoolean: true });
  });

  it('chains the events of a transaction in the order its entries ran, writes and reads alike (stored together before it commits; consecutive writes told as one)', async () => {
    const bundle: Bundle = {
      resourceType: 'Bundle',
      type: 'transaction',
      entry: [
        // Processing order: POSTs (in entry order), then GETs.
        { request: { method: 'GET', url: 'Patient/p1' } },
        { fullUrl: 'urn:uuid:0b0c1d8e-0000-4000-8000-000000000002', resource: consent('order-1'), request: { method: 'POST', url: 'Consent' } },
        { request: { method: 'GET', url: 'Consent?patient=p1' } },
        { fullUrl: 'urn:uuid:0b0c1d8e-0000-4000-8000-000000000003', resource: consent('order-2'), request: { method: 'POST', url: 'Consent' } },
      ],
    };
    const res = await s.fhir(patient, 'POST', '/', bundle);
    expect(res.status).toBe(200);
    const [first, second] = [1, 3].map((i) => /Consent\/([^/]+)/.exec(String(res.body.entry[i].response.location))![1]);
    const { rows } = await s.testDb.db.query<{ seq: string; text: string }>(
      `SELECT c.seq, r.text FROM audit_chain c JOIN resource r ON r.type = 'AuditEvent' AND r.id = c.event_id WHERE c.chain = 'p1' ORDER BY c.seq DESC LIMIT 3`,
    );
    const described = rows.reverse().map((row) => {
      const text = row.text;
      if (text.includes('search')) return 'search';
      const named = [first, second].filter((id) => text.includes(`Consent/${id}`));
      if (named.length) return `create ${named.length === 2 ? 'both' : named[0] === first ? 'first' : 'second'}`;
      return text.includes('Patient/p1') ? 'read' : 'other';
    });
    expect(described).toEqual(['create both', 'read', 'search']);
    const verify = await s.fhir(patient, 'GET', '/AuditEvent/$verify');
    expect(verify.body.parameter[0]).toEqual({ name: 'intact', valueBoolean: true });
  });

  it('audits each read of a batch through the group commit', async () => {
    const bundle: Bundle = { resourceType: 'Bundle', type: 'batch', entry: [{ request: { method: 'GET', url: 'Patient/p1' } }, { request: { method: 'GET', url: 'Patient/p1' } }] };
    const before = (await trail(s, patient)).filter((e) => e.subtype?.[0].code === 'read').length;
    const res = await s.fhir(patient, 'POST', '/', bundle);
    expect(res.status).toBe(200);
    const reads = (await trail(s, patient)).filter((e) => e.subtype?.[0].code === 'read').length;
    expect(reads).toBe(before + 2);
  });
});
