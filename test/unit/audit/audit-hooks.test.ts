import type { AuditEvent } from '@medplum/fhirtypes';
import { createAuditHooks } from '../../../src/audit/audit-hooks';
import { AuditSystemStore } from '../../../src/audit/audit-system-store';
import { SystemRepository } from '../../../src/system/system-repository';
import { readStoredEvent } from '../../../src/audit/stored-event';
import { verifyChain } from '../../../src/audit/verify-chain';
import type { RequestContext } from '../../../src/fhir/context';
import { FhirError } from '../../../src/fhir/errors';
import { raw } from '../../../src/store/sql';
import type { PgliteDb } from '../../../src/store/pglite-db';
import { openTestDb } from './test-db';
import { RequestState } from '../../../src/fhir/request-state';
import { inWriteTransaction } from '../../support/write-transaction';

const source = { id: 'dmp-fhir-test', display: 'DMP FHIR test server', address: '10.0.0.1' };

function practitionerCtx(extra: Partial<RequestContext> = {}): RequestContext {
  return {
    requestId: 'req-1',
    access: raw('TRUE'),
    remoteAddress: '192.168.1.20',
    state: new RequestState(),
    actor: {
      kind: 'practitioner',
      id: 'u1',
      display: 'Dr Marie Curie',
      keys: ['urn:oid:1.2.250.1.71.4.2.1|810000000001', 'Practitioner/prac-1'],
      claims: { jti: 'token-42', client_id: 'lgc-cabinet', client_name: 'Logiciel Cabinet', organization: { id: '1750000001', name: 'Cabinet du Parc' } },
    } as RequestContext['actor'],
    ...extra,
  };
}

async function events(db: PgliteDb, patient: string): Promise<AuditEvent[]> {
  const { rows } = await db.query<{ id: string; text: string }>(
    `SELECT r.id, r.text FROM audit_chain c JOIN resource r ON r.type = 'AuditEvent' AND r.id = c.event_id WHERE c.chain = $1 ORDER BY c.seq`,
    [patient],
  );
  return rows.map((r) => readStoredEvent(r.id, r.text).event);
}

describe('audit hooks', () => {
  let db: PgliteDb;

  beforeEach(async () => {
    db = await openTestDb();
  });
  afterEach(async () => {
    await db.close();
  });

  it('records a BALP read event naming the professional and organisation in words', async () => {
    const hooks = createAuditHooks({ store: new AuditSystemStore(new SystemRepository(db)), source });
    await hooks.afterRead(practitionerCtx(), {
      interaction: 'read',
      resourceType: 'DocumentReference',
      resources: [{ resourceType: 'DocumentReference', id: 'doc-1', versionId: '3', compartment: 'pat-a' }],
    });
    const [event] = await events(db, 'pat-a');
    expect(event.type).toEqual({ system: 'http://terminology.hl7.org/CodeSystem/audit-event-type', code: 'rest', display: 'Restful Operation' });
    expect(event.subtype).toEqual([{ system: 'http://hl7.org/fhir/restful-interaction', code: 'read' }]);
    expect(event.action).toBe('R');
    expect(event.outcome).toBe('0');
    const user = event.agent?.find((a) => a.requestor);
    expect(user?.who).toEqual({ reference: 'Practitioner/prac-1', identifier: { system: 'urn:oid:1.2.250.1.71.4.2.1', value: '810000000001' }, display: 'Dr Marie Curie' });
    expect(user?.policy).toEqual(['token-42']);
    expect(user?.purposeOfUse?.[0].coding?.[0].code).toBe('TREAT');
    expect(event.agent?.some((a) => a.who?.display === 'Cabinet du Parc' && a.who.identifier?.value === '1750000001')).toBe(true);
    const client = event.agent?.find((a) => a.type?.coding?.[0].code === '110153');
    expect(client).toMatchObject({ who: { display: 'Logiciel Cabinet' }, network: { address: '192.168.1.20', type: '2' } });
    expect(event.source.observer).toEqual({ identifier: { value: 'dmp-fhir-test' }, display: 'DMP FHIR test server' });
    expect(event.entity?.map((e) => e.what?.reference)).toEqual(['Patient/pat-a', 'DocumentReference/doc-1/_history/3', undefined]);
  });

  it('writes one event per patient compartment a search touched, with the query in base64', async () => {
    const hooks = createAuditHooks({ store: new AuditSystemStore(new SystemRepository(db)), source });
    await hooks.afterRead(practitionerCtx(), {
      interaction: 'search-type',
      resourceType: 'Observation',
      query: 'code=1234-5&_count=10',
      resources: [
        { resourceType: 'Observation', id: 'o1', compartment: 'pat-a' },
        { resourceType: 'Observation', id: 'o2', compartment: 'pat-b' },
        { resourceType: 'Observation', id: 'o3', compartment: 'pat-a' },
        { resourceType: 'Practitioner', id: 'prac-9', compartment: null },
      ],
    });
    const a = await events(db, 'pat-a');
    const b = await events(db, 'pat-b');
    expect(a).toHaveLength(1);
    expect(b).toHaveLength(1);
    expect(a[0].action).toBe('E');
    expect(a[0].entity?.filter((e) => e.what?.reference?.startsWith('Observation/')).map((e) => e.what?.reference)).toEqual(['Observation/o1', 'Observation/o3']);
    const query = a[0].entity?.find((e) => e.role?.code === '24');
    expect(Buffer.from(query?.query as string, 'base64').toString()).toBe('code=1234-5&_count=10');
    expect(await events(db, '')).toHaveLength(0);
  });

  it('audits an empty search in the trail of the patient it named', async () => {
    const hooks = createAuditHooks({ store: new AuditSystemStore(new SystemRepository(db)), source });
    await hooks.afterRead(practitionerCtx(), { interaction: 'search-type', resourceType: 'DocumentReference', query: 'patient=Patient/pat-c', resources: [] });
    expect(await events(db, 'pat-c')).toHaveLength(1);
  });

  it('records break-glass purpose with its stated reason', async () => {
    const hooks = createAuditHooks({ store: new AuditSystemStore(new SystemRepository(db)), source });
    await hooks.afterRead(practitionerCtx({ purposeOfUse: 'BTG', purposeReason: 'unconscious patient in A&E' }), {
      interaction: 'operation',
      operation: 'everything',
      resourceType: 'Patient',
      resources: [{ resourceType: 'Patient', id: 'pat-a', versionId: '1', compartment: 'pat-a' }],
    });
    const [event] = await events(db, 'pat-a');
    expect(event.purposeOfEvent).toEqual([{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-ActReason', code: 'BTG', display: 'break the glass' }], text: 'unconscious patient in A&E' }]);
    expect(event.subtype?.map((s) => s.code)).toEqual(['operation', 'everything']);
  });

  it('audits a write inside the caller transaction, so a rollback leaves no event', async () => {
    const hooks = createAuditHooks({ store: new AuditSystemStore(new SystemRepository(db)), source });
    const write = { interaction: 'create' as const, resourceType: 'DocumentReference', id: 'doc-9', versionId: 1, compartment: 'pat-a' };
    await inWriteTransaction(db, (tx) => hooks.afterWrite(tx, practitionerCtx(), write));
    await expect(
      inWriteTransaction(db, async (tx) => {
        await hooks.afterWrite(tx, practitionerCtx(), { ...write, id: 'doc-10' });
        throw new Error('the change failed');
      }),
    ).rejects.toThrow('the change failed');
    const stored = await events(db, 'pat-a');
    expect(stored.map((e) => [e.action, e.entity?.[1].what?.reference])).toEqual([['C', 'DocumentReference/doc-9/_history/1']]);
    expect((await verifyChain(db)).intact).toBe(true);
  });

  it('records a denied attempt with its reason in the trail of the patient who owns the resource', async () => {
    await db.query(`INSERT INTO resource (type, id, version_id, last_updated, compartment, content, text) VALUES ('DocumentReference', 'doc-7', 1, now(), 'pat-d', '{}', '{}')`);
    const hooks = createAuditHooks({ store: new AuditSystemStore(new SystemRepository(db)), source });
    await hooks.onDenied(practitionerCtx(), { interaction: 'read', resourceType: 'DocumentReference', id: 'doc-7', status: 403, reason: 'The patient blocked this professional' });
    const [event] = await events(db, 'pat-d');
    expect(event.outcome).toBe('4');
    expect(event.outcomeDesc).toBe('The patient blocked this professional (HTTP 403)');
  });

  it('refuses changes to AuditEvent with 405 and trail reads by a professional with 403', async () => {
    const hooks = createAuditHooks({ store: new AuditSystemStore(new SystemRepository(db)), source });
    const status = async (p: Promise<void>): Promise<number | undefined> => p.then(() => undefined, (e: FhirError) => e.status);
    expect(await status(hooks.authorize(practitionerCtx(), { interaction: 'update', resourceType: 'AuditEvent' }))).toBe(405);
    expect(await status(hooks.authorize(practitionerCtx(), { interaction: 'delete', resourceType: 'AuditEvent' }))).toBe(405);
    expect(await status(hooks.authorize(practitionerCtx(), { interaction: 'search-type', resourceType: 'AuditEvent' }))).toBe(403);
    const patient = practitionerCtx({ actor: { kind: 'patient', id: 'pat-a' } });
    expect(await status(hooks.authorize(patient, { interaction: 'search-type', resourceType: 'AuditEvent' }))).toBeUndefined();
  });

  it('groups concurrent read events into few commits and resolves each caller once durable', async () => {
    const hooks = createAuditHooks({ store: new AuditSystemStore(new SystemRepository(db)), source });
    const reads = Array.from({ length: 200 }, (_, i) =>
      hooks.afterRead(practitionerCtx(), { interaction: 'read', resourceType: 'Observation', resources: [{ resourceType: 'Observation', id: `o${i}`, compartment: `pat-${i % 7}` }] }),
    );
    await Promise.all(reads);
    expect(hooks.groupCommit.stats.items).toBe(200);
    expect(hooks.groupCommit.stats.flushes).toBeLessThanOrEqual(3);
    const { rows } = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM resource WHERE type = 'AuditEvent'`);
    expect(rows[0].n).toBe(200);
    expect(await verifyChain(db)).toMatchObject({ intact: true, events: 200, chains: 7 });
  });
});
