import type { Patient } from '@medplum/fhirtypes';
import type { AuditEventInput } from '../../../src/audit/audit-event-builder';
import { createAuditHooks } from '../../../src/audit/audit-hooks';
import { AuditSystemStore } from '../../../src/audit/audit-system-store';
import { SystemRepository } from '../../../src/system/system-repository';
import type { RequestContext } from '../../../src/fhir/context';
import { createAuditNotifier } from '../../../src/notify/audit-notifier';
import { loadCommunications } from '../../../src/notify/communication-view';
import { queueLoginCode } from '../../../src/notify/login-code';
import type { PgliteDb } from '../../../src/store/pglite-db';
import { raw } from '../../../src/store/sql';
import { openTestDb } from '../audit/test-db';
import { RequestState } from '../../../src/fhir/request-state';
import { inWriteTransaction } from '../../support/write-transaction';

const source = { id: 'dmp-fhir-test', display: 'DMP FHIR test server' };

function ctx(kind: string, id: string, extra: Partial<RequestContext> = {}, fields: Record<string, unknown> = {}): RequestContext {
  return { requestId: 'r', access: raw('TRUE'), state: new RequestState(), actor: { kind, id, display: kind === 'practitioner' ? `Dr ${id}` : undefined, claims: { jti: `tok-${id}` }, ...fields }, ...extra };
}
const dr = (id: string, rpps: string, extra: Partial<RequestContext> = {}, fields: Record<string, unknown> = {}): RequestContext =>
  ctx('practitioner', id, extra, { keys: [`urn:oid:1.2.250.1.71.4.2.1|8${rpps}`], ...fields });

async function addPatient(db: PgliteDb, patient: Patient): Promise<void> {
  const text = JSON.stringify(patient);
  await db.query(`INSERT INTO resource (type, id, version_id, last_updated, compartment, content, text) VALUES ('Patient', $1, 1, now(), $1, $2::jsonb, $2)`, [patient.id, text]);
}

async function outbox(db: PgliteDb): Promise<{ kind: string; channel: string; recipient: string | null; body: string; status: string }[]> {
  const { rows } = await db.query<{ kind: string; channel: string; recipient: string | null; body: string; status: string }>(`SELECT kind, channel, recipient, body, status FROM notify_outbox ORDER BY id`);
  return rows;
}

const read = (patient: string, id: string) => ({ interaction: 'read' as const, resourceType: 'Observation', resources: [{ resourceType: 'Observation', id, compartment: patient }] });

describe('notices derived from audit events', () => {
  let db: PgliteDb;
  beforeEach(async () => {
    db = await openTestDb();
    await addPatient(db, { resourceType: 'Patient', id: 'pat-a', telecom: [{ system: 'email', value: 'alice@example.org' }] });
    await addPatient(db, { resourceType: 'Patient', id: 'pat-b' });
  });
  afterEach(async () => {
    await db.close();
  });

  const hooksFor = () => createAuditHooks({ store: new AuditSystemStore(new SystemRepository(db)), source, writer: { onAppend: createAuditNotifier({ recordUrl: 'https://record.example/' }) } });

  it('queues one notice when a professional adds a document, in the same transaction as the write', async () => {
    const hooks = hooksFor();
    const created = { interaction: 'create' as const, resourceType: 'DocumentReference', id: 'doc-1', versionId: 1, compartment: 'pat-a' };
    await inWriteTransaction(db, (tx) => hooks.afterWrite(tx, dr('p1', '10000000001'), created));
    await expect(inWriteTransaction(db, async (tx) => {
      await hooks.afterWrite(tx, dr('p1', '10000000001'), { ...created, id: 'doc-2' });
      throw new Error('rolled back');
    })).rejects.toThrow('rolled back');
    const rows = await outbox(db);
    expect(rows).toEqual([{ kind: 'document-added', channel: 'email', recipient: 'alice@example.org', status: 'pending', body: expect.stringContaining('Un nouveau document a été ajouté') }]);
    // The link opens the document's page (issue 15); the text names no type, title or content, and the id is opaque.
    expect(rows[0].body).toMatch(/Consultez votre dossier : https:\/\/record\.example\/documents\/doc-1$/);
    expect(rows[0].body).not.toMatch(/DocumentReference|compte rendu|biolog/i);
  });

  it('tells the patient about the first access of each professional only once', async () => {
    const hooks = hooksFor();
    await hooks.afterRead(dr('p1', '10000000001', {}, { claims: { jti: 't1', organization: { name: 'Cabinet du Parc' } } }), read('pat-a', 'o1'));
    await hooks.afterRead(dr('p1', '10000000001'), read('pat-a', 'o2'));
    await hooks.afterRead(dr('p2', '10000000002'), read('pat-a', 'o3'));
    await hooks.afterRead(ctx('patient', 'pat-a'), read('pat-a', 'o4'));
    const rows = await outbox(db);
    expect(rows.map((r) => r.kind)).toEqual(['first-access', 'first-access']);
    expect(rows[0].body).toMatch(/^Dr p1 \(RPPS 10000000001\), Cabinet du Parc a consulté votre dossier médical partagé \(DMP\) pour la première fois le \d{1,2} \S+ 20\d\d à \d\d:\d\d\. /);
  });

  it('after a restart, tells of first accesses once, and recalls the readers already told of', async () => {
    await hooksFor().afterRead(dr('p1', '10000000001'), read('pat-a', 'o1'));
    const restarted = createAuditNotifier({ recordUrl: 'https://record.example/' });
    const hooks = createAuditHooks({ store: new AuditSystemStore(new SystemRepository(db)), source, writer: { onAppend: restarted } });
    await hooks.afterRead(dr('p1', '10000000001'), read('pat-a', 'o2'));
    await hooks.afterRead(dr('p2', '10000000002'), read('pat-a', 'o3'));
    expect((await outbox(db)).map((r) => r.kind)).toEqual(['first-access', 'first-access']);
    const pairOf = (rpps: string): AuditEventInput[] => [{
      recorded: new Date(), category: 'rest', interaction: 'read', action: 'R', outcome: '0', source, patientId: 'pat-a', resources: ['Observation/x'],
      agent: { kind: 'practitioner', display: 'Dr', identifiers: [{ system: 'urn:oid:1.2.250.1.71.4.2.1', value: `8${rpps}` }] },
    }];
    const fresh = createAuditNotifier({ recordUrl: 'https://record.example/' });
    expect(fresh.idleFor?.(pairOf('10000000001'))).toBe(false);
    await fresh.recall?.(db, [...pairOf('10000000001'), ...pairOf('10000000009')]);
    expect(fresh.idleFor?.(pairOf('10000000001'))).toBe(true);
    expect(fresh.idleFor?.(pairOf('10000000009'))).toBe(false);
  });

  it('tells the patient about a break-glass access with its reason, once per session', async () => {
    const hooks = hooksFor();
    const btg = dr('p3', '10000000003', { purposeOfUse: 'BTG', purposeReason: 'unconscious on arrival' });
    await hooks.afterRead(btg, read('pat-a', 'o1'));
    await hooks.afterRead(btg, read('pat-a', 'o2'));
    const rows = await outbox(db);
    expect(rows.map((r) => r.kind)).toEqual(['break-glass']);
    expect(rows[0].body).toContain('Motif indiqué : unconscious on arrival');
  });

  it('tells the patient about a SAMU regulator access', async () => {
    const hooks = hooksFor();
    await hooks.afterRead(dr('p4', '10000000004', {}, { role: 'samu-regulator' }), read('pat-a', 'o1'));
    expect((await outbox(db)).map((r) => [r.kind, r.status])).toEqual([['samu-access', 'pending']]);
  });

  it('keeps a notice for a patient without contact as no-recipient instead of dropping it', async () => {
    const hooks = hooksFor();
    await hooks.afterRead(dr('p1', '10000000001'), read('pat-b', 'o1'));
    expect((await outbox(db)).map((r) => [r.kind, r.channel, r.status])).toEqual([['first-access', 'none', 'no-recipient']]);
  });

  it('queues a login code that is never shown back in the Communication view', async () => {
    const now = new Date();
    await db.transaction((tx) => queueLoginCode(tx, { attemptId: 'a1', patientId: 'pat-a', code: '482913', now, validMinutes: 10 }));
    await db.transaction((tx) => queueLoginCode(tx, { attemptId: 'a1', patientId: 'pat-a', code: '482913', now, validMinutes: 10 }));
    expect((await outbox(db)).map((r) => r.body)).toEqual([expect.stringContaining('482913')]);
    const view = await loadCommunications(db, 'pat-a');
    expect(view.total).toBe(1);
    expect(view.resources[0]).toMatchObject({ resourceType: 'Communication', status: 'in-progress', subject: { reference: 'Patient/pat-a' } });
    expect(JSON.stringify(view.resources[0])).not.toContain('482913');
  });
});
