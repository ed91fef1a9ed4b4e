import type { AuditEventInput } from '../../../src/audit/audit-event-builder';
import { mergeOwed } from '../../../src/audit/merge-writes';

const at = (s: number) => new Date(Date.UTC(2026, 11, 6, 12, 0, s));
const write = (resource: string, extra: Partial<AuditEventInput> = {}): AuditEventInput => ({
  recorded: at(Number(resource.length)),
  category: 'rest',
  interaction: 'create',
  action: 'C',
  outcome: '0',
  source: { observer: 'dmp-fhir' } as unknown as AuditEventInput['source'],
  agent: { kind: 'system', identifiers: [], reference: undefined } as unknown as AuditEventInput['agent'],
  patientId: 'p1',
  requestId: 'r1',
  resources: [resource],
  resourceType: resource.split('/')[0],
  ...extra,
});

test('consecutive writes of one document that say the same thing become one event naming all their resources, at the first instant', () => {
  const merged = mergeOwed([
    { input: write('DocumentReference/d1'), together: 'DocumentReference/d1' },
    { input: write('Binary/b1'), together: 'DocumentReference/d1' },
    { input: write('Observation/o1'), together: 'DocumentReference/d1' },
  ]);
  expect(merged).toHaveLength(1);
  expect(merged[0].resources).toEqual(['DocumentReference/d1', 'Binary/b1', 'Observation/o1']);
  expect(merged[0].resourceType).toBeUndefined();
  expect(merged[0].recorded).toEqual(write('DocumentReference/d1').recorded);
});

test('writes of two documents, of another record, action, request or agent, or with no key, stay apart', () => {
  const d1 = { input: write('DocumentReference/d1'), together: 'DocumentReference/d1' };
  const cases: { input: AuditEventInput; together?: string }[] = [
    { input: write('DocumentReference/d2'), together: 'DocumentReference/d2' },
    { input: write('Observation/o1', { patientId: 'p2' }), together: 'DocumentReference/d1' },
    { input: write('Observation/o1', { action: 'U', interaction: 'update' }), together: 'DocumentReference/d1' },
    { input: write('Observation/o1', { requestId: 'r2' }), together: 'DocumentReference/d1' },
    { input: write('Observation/o1', { purpose: { code: 'BTG', reason: 'urgence' } }), together: 'DocumentReference/d1' },
    { input: write('Observation/o1') },
  ];
  for (const other of cases) expect(mergeOwed([d1, other])).toHaveLength(2);
  // Without a key on the first one either.
  expect(mergeOwed([{ input: write('Observation/o1') }, { input: write('Observation/o2') }])).toHaveLength(2);
});

test('only consecutive events merge: a read between two writes keeps the order of what happened', () => {
  const read: AuditEventInput = { ...write('Patient/p1'), interaction: 'read', action: 'R' };
  const merged = mergeOwed([
    { input: write('Consent/c1'), together: 'no document' },
    { input: read },
    { input: write('Consent/c2'), together: 'no document' },
  ]);
  expect(merged.map((e) => e.resources)).toEqual([['Consent/c1'], ['Patient/p1'], ['Consent/c2']]);
});
