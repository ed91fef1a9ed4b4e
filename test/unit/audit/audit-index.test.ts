import { buildAuditEvent, type AuditEventInput } from '../../../src/audit/audit-event-builder';
import { createAuditHooks } from '../../../src/audit/audit-hooks';
import { AuditSystemStore } from '../../../src/audit/audit-system-store';
import { SystemRepository } from '../../../src/system/system-repository';
import { auditIndexRowsOf, buildAuditIndexRows } from '../../../src/audit/audit-index';
import { IDENTITY_CORRECTION_STATE } from '../../../src/audit/identity-correction';
import type { RequestContext } from '../../../src/fhir/context';
import { RequestState } from '../../../src/fhir/request-state';
import type { Db } from '../../../src/store/db';
import type { WriteTransaction } from '../../../src/store/write-transaction';
import { raw } from '../../../src/store/sql';

/*
 * The writer derives an event's index rows from its input instead of from the AuditEvent JSON built from that input.
 * Which rows an event gets decides who finds it in a trail search, so the two derivations must agree: the inputs
 * here are captured from the real hooks (the writer's storage is replaced), one for each kind of event they write.
 */

const source = { id: 'dmp-fhir-test', display: 'DMP FHIR test server', address: '10.0.0.1' };

type Actor = NonNullable<RequestContext['actor']>;

function ctx(actor: Actor | undefined, extra: Partial<RequestContext> = {}): RequestContext {
  return { requestId: 'req-1', access: raw('TRUE'), remoteAddress: '192.168.1.20', userAgent: 'test-agent', state: new RequestState(), actor, ...extra };
}

const practitioner = {
  kind: 'practitioner',
  id: 'u1',
  display: 'Dr Marie Curie',
  keys: ['urn:oid:1.2.250.1.71.4.2.1|810000000001', 'Practitioner/prac-1'],
  claims: { jti: 'token-42', client_id: 'lgc-cabinet', client_name: 'Logiciel Cabinet', organization: { id: '1750000001', name: 'Cabinet du Parc', reference: 'Organization/org-1' } },
} as unknown as Actor;
const samu = { kind: 'practitioner', id: 'u2', role: 'samu-regulator', keys: ['urn:oid:1.2.250.1.71.4.2.1|810000000002'], claims: {} } as unknown as Actor;
const patient = { kind: 'patient', id: 'pat-a', ins: '279035121518989', claims: {} } as unknown as Actor;
const feeder = { kind: 'system', id: 'lab-feeder', category: 'laboratoire', claims: { client_name: 'LIS du labo' } } as unknown as Actor;
const insurer = { kind: 'system', id: 'insurer', claims: { fhirUser: 'Organization/ins-1/_history/2' } } as unknown as Actor;

/** Every input the hooks hand their writer while `drive` runs. */
async function capture(drive: (hooks: ReturnType<typeof createAuditHooks>) => Promise<unknown>): Promise<AuditEventInput[]> {
  const hooks = createAuditHooks({ store: new AuditSystemStore(new SystemRepository({} as Db)), source });
  const inputs: AuditEventInput[] = [];
  jest.spyOn(hooks.writer, 'append').mockImplementation(async (_db, batch) => (inputs.push(...batch), []));
  jest.spyOn(hooks.writer, 'appendInTx').mockImplementation(async (_tx, batch) => (inputs.push(...batch), []));
  await drive(hooks);
  await hooks.flush();
  return inputs;
}

const doc = (id: string, compartment: string | null) => ({ resourceType: 'DocumentReference', id, versionId: '1', compartment });
const created = { interaction: 'create' as const, resourceType: 'DocumentReference', id: 'doc-9', versionId: 1, compartment: 'pat-a' };

const cases: [string, (hooks: ReturnType<typeof createAuditHooks>) => Promise<unknown>][] = [
  ['a read by a practitioner with an organisation', (h) => h.afterRead(ctx(practitioner), { interaction: 'read', resourceType: 'DocumentReference', resources: [doc('d1', 'pat-a')] })],
  ['a search page over two patients', (h) => h.afterRead(ctx(practitioner), {
    interaction: 'search-type', resourceType: 'DocumentReference', query: 'patient=pat-a&_count=20',
    resources: [doc('d1', 'pat-a'), doc('d2', 'pat-a'), doc('d3', 'pat-b'), { resourceType: 'Practitioner', id: 'prac-1', compartment: null }],
  })],
  ['a create by a feeder (system actor, no reference)', (h) => h.afterWrite?.({} as WriteTransaction, ctx(feeder), created) ?? Promise.resolve()],
  ['an emergency access with its reason', (h) => h.afterRead(ctx(samu, { purposeOfUse: 'ETREAT', purposeReason: 'détresse respiratoire' }), { interaction: 'read', resourceType: 'DocumentReference', resources: [doc('d1', 'pat-a')] })],
  ['a break-glass search', (h) => h.afterRead(ctx(practitioner, { purposeOfUse: 'BTG', purposeReason: 'inconscient' }), { interaction: 'search-type', resourceType: 'Observation', query: 'patient=pat-a', resources: [] })],
  ['a purpose with no display of ours', (h) => h.afterRead(ctx(practitioner, { purposeOfUse: 'HRESCH' }), { interaction: 'read', resourceType: 'DocumentReference', resources: [doc('d1', 'pat-a')] })],
  ['a patient reading her own record', (h) => h.afterRead(ctx(patient), { interaction: 'operation', operation: 'everything', resourceType: 'Patient', resources: [{ resourceType: 'Patient', id: 'pat-a', compartment: 'pat-a' }] })],
  ['a login', (h) => h.recordLogin(ctx(patient), { patientId: 'pat-a', success: true })],
  ['a failed login with no known actor', (h) => h.recordLogin(ctx(undefined), { success: false, reason: 'bad password' })],
  ['an account event', (h) => h.recordAccountEvent(ctx(patient), { patientId: 'pat-a', event: 'password-reset', success: true })],
  ['an identity correction', (h) => {
    const c = ctx(practitioner);
    c.state.set(IDENTITY_CORRECTION_STATE, { patientId: 'pat-a', previousIns: ['urn:oid:1.2.250.1.213.1.4.8|1'], ins: ['urn:oid:1.2.250.1.213.1.4.8|2'], changed: ['identifier'], reason: 'erreur de saisie' });
    return h.afterWrite?.({} as WriteTransaction, c, { interaction: 'update', resourceType: 'Patient', id: 'pat-a', versionId: 3, compartment: 'pat-a' }) ?? Promise.resolve();
  }],
  ['an event without a patient (a directory read by an insurer)', (h) => h.afterRead(ctx(insurer), { interaction: 'read', resourceType: 'Practitioner', resources: [{ resourceType: 'Practitioner', id: 'prac-1', compartment: null }] })],
  ['a delete by a practitioner', (h) => h.afterWrite?.({} as WriteTransaction, ctx(practitioner), { interaction: 'delete', resourceType: 'DocumentReference', id: 'd1', versionId: 2, compartment: 'pat-a' }) ?? Promise.resolve()],
];

describe('audit index rows from the input', () => {
  it.each(cases)('are the rows of the built AuditEvent for %s', async (_name, drive) => {
    const inputs = await capture(drive);
    expect(inputs.length).toBeGreaterThan(0);
    for (const input of inputs) expect(auditIndexRowsOf(input)).toEqual(buildAuditIndexRows(buildAuditEvent(input)));
  });

  it('covers every kind of row: action, purpose with and without display, user and organisation agents', async () => {
    const inputs = (await Promise.all(cases.map(([, drive]) => capture(drive)))).flat();
    const rows = inputs.map(auditIndexRowsOf);
    const tokens = rows.flatMap((r) => r.tokens);
    const references = rows.flatMap((r) => r.references);
    expect(new Set(tokens.filter((t) => t.param === 'action').map((t) => t.code))).toEqual(new Set(['R', 'E', 'C', 'U', 'D']));
    expect(tokens).toContainEqual({ param: 'purpose', system: 'http://terminology.hl7.org/CodeSystem/v3-ActReason', code: 'ETREAT', text: 'emergency treatment' });
    expect(tokens).toContainEqual({ param: 'purpose', system: 'http://terminology.hl7.org/CodeSystem/v3-ActReason', code: 'HRESCH', text: null });
    expect(references).toContainEqual({ param: 'agent', targetType: 'Practitioner', targetId: 'prac-1' });
    expect(references).toContainEqual({ param: 'agent', targetType: 'Organization', targetId: 'org-1' });
    expect(references).toContainEqual({ param: 'agent', targetType: 'Organization', targetId: 'ins-1' });
    expect(references).toContainEqual({ param: 'agent', targetType: 'Patient', targetId: 'pat-a' });
    expect(inputs.some((i) => !i.patientId)).toBe(true);
    expect(rows.some((r) => r.references.length === 0)).toBe(true);
  });
});
