import { withInsKey } from './ins-values';
import { consent } from './fixture';
import { shape, useSweepServer, type Answer, type Who } from './sweep-4';

// Issue 11's outside check, fourth sweep, family "oracles": interactions and parameters the first three sweeps did not
// pin, each asked about a hidden row and about a missing one by an ordinary actor, over HTTP on the production
// composition. Rule (DESIGN §3, §5 "Hidden is absent"; issue 11): a hidden resource answers exactly like a missing one —
// status, body, ETag, Location, Content-Location, Last-Modified (by presence; timing is out of scope), totals and links.
// What an attacker gains from any difference: he learns that a document he may not read exists (a masked report, a
// document the patient cannot see, another patient's record), and often which kind, by trying ids.
// Fixture: d2 masked from spec; d1 in p1, which the unauthorised, the blocked professional and p2's patient do not
// read; d4 INVISIBLE_PATIENT (hidden from p1's patient).

const { call } = useSweepServer('dmp-sweep4-oracles-');

type Form = [label: string, method: string, url: (id: string) => string, body?: (id: string) => unknown, headers?: Record<string, string>];
const HIDDEN: [Who, string][] = [['spec', 'd2'], ['unauth', 'd1'], ['blocked', 'd1'], ['p2', 'd1'], ['patient', 'd4']];
const JSON_PATCH = { 'Content-Type': 'application/json-patch+json' };
const observation = (extra: Record<string, unknown> = {}) => ({ resourceType: 'Observation', status: 'final', code: { text: 'x' }, subject: { reference: 'Patient/p1' }, ...extra });

async function expectSameAsMissing(who: Who, hidden: string, [label, method, url, body, headers]: Form, n: number): Promise<void> {
  // A missing id of its own for each form: rows written by an earlier form never answer a later one.
  const missing = `zz-missing-${n}`;
  const ask = (id: string): Promise<Answer> => call(who, method, url(id), body?.(id), headers);
  const [h, m] = [await ask(hidden), await ask(missing)];
  expect([who, label, ...shape(h, hidden)]).toEqual([who, label, ...shape(m, missing)]);
}

/** Reads and searches: nothing is written. */
const READS: Form[] = [
  ['$validate of a delete of the instance', 'POST', (id) => `/DocumentReference/${id}/$validate`, () => ({ resourceType: 'Parameters', parameter: [{ name: 'mode', valueCode: 'delete' }] })],
  ['$validate of an update naming it', 'POST', () => '/DocumentReference/$validate', (id) => ({ resourceType: 'Parameters', parameter: [{ name: 'mode', valueCode: 'update' }, { name: 'resource', resource: { resourceType: 'DocumentReference', id, status: 'current', subject: { reference: 'Patient/p1' }, content: [{ attachment: { url: 'x' } }] } }] })],
  ['read with _elements', 'GET', (id) => `/DocumentReference/${id}?_elements=securityLabel`],
  ['read with _contained', 'GET', (id) => `/DocumentReference/${id}?_contained=true`],
  ['type _history by _id', 'GET', (id) => `/DocumentReference/_history?_id=${id}`],
  ['search by several _id', 'GET', (id) => `/DocumentReference?_id=${id},${id}&_total=accurate`],
  ['search POST _search', 'POST', () => '/DocumentReference/_search', (id) => `_id=${id}&_total=accurate`, { 'Content-Type': 'application/x-www-form-urlencoded' }],
  ['relatesto count', 'GET', (id) => `/DocumentReference?relatesto=DocumentReference/${id}&_summary=count`],
  ['derived-from count', 'GET', (id) => `/Observation?derived-from=DocumentReference/${id}&_summary=count`],
  ['Binary read', 'GET', (id) => `/Binary/${id}-bin`],
  ['Binary _history', 'GET', (id) => `/Binary/${id}-bin/_history`],
  ['Binary vread of version 1', 'GET', (id) => `/Binary/${id}-bin/_history/1`],
  ['AuditEvent by entity', 'GET', (id) => `/AuditEvent?entity=DocumentReference/${id}&_summary=count`],
  ['_revinclude=AuditEvent:entity', 'GET', (id) => `/DocumentReference?_id=${id}&_revinclude=AuditEvent:entity`],
  ['batch of reads and a delete', 'POST', () => '', (id) => ({ resourceType: 'Bundle', type: 'batch', entry: [{ request: { method: 'GET', url: `DocumentReference/${id}` } }, { request: { method: 'GET', url: `DocumentReference/${id}/_history/1` } }, { request: { method: 'GET', url: `DocumentReference?_id=${id}` } }, { request: { method: 'DELETE', url: `DocumentReference/${id}` } }] })],
  ['transaction read', 'POST', () => '', (id) => ({ resourceType: 'Bundle', type: 'transaction', entry: [{ request: { method: 'GET', url: `DocumentReference/${id}` } }] })],
  ['transaction delete', 'POST', () => '', (id) => ({ resourceType: 'Bundle', type: 'transaction', entry: [{ request: { method: 'DELETE', url: `DocumentReference/${id}` } }] })],
  ['transaction conditional delete', 'POST', () => '', (id) => ({ resourceType: 'Bundle', type: 'transaction', entry: [{ request: { method: 'DELETE', url: `Observation?_id=${id}-obs` } }] })],
  ['DELETE with Prefer: return=OperationOutcome', 'DELETE', (id) => `/DocumentReference/${id}`, undefined, { Prefer: 'return=OperationOutcome' }],
  ['PATCH with Prefer: return=OperationOutcome', 'PATCH', (id) => `/DocumentReference/${id}`, () => [{ op: 'add', path: '/language', value: 'fr' }], { ...JSON_PATCH, Prefer: 'return=OperationOutcome' }],
];

/** Writes that may create a row (of the caller's own) whatever they name. */
const WRITES: Form[] = [
  ['conditional update by _id', 'PUT', (id) => `/Observation?_id=${id}-obs`, () => observation()],
  ['conditional update, Prefer: return=OperationOutcome', 'PUT', (id) => `/Observation?_id=${id}-obs`, () => observation(), { Prefer: 'return=OperationOutcome' }],
  ['If-None-Exist header', 'POST', () => '/Observation', () => observation(), {}],
  ['transaction If-None-Exist', 'POST', () => '', (id) => ({ resourceType: 'Bundle', type: 'transaction', entry: [{ resource: observation(), request: { method: 'POST', url: 'Observation', ifNoneExist: `_id=${id}-obs` } }] })],
  ['an Observation derived from it, with its result as member', 'POST', () => '/Observation', (id) => observation({ derivedFrom: [{ reference: `DocumentReference/${id}` }], hasMember: [{ reference: `Observation/${id}-obs` }] })],
  ['a document appending to it', 'POST', () => '/DocumentReference', (id) => ({ resourceType: 'DocumentReference', status: 'current', subject: { reference: 'Patient/p1' }, relatesTo: [{ code: 'appends', target: { reference: `DocumentReference/${id}` } }], content: [{ attachment: { contentType: 'text/plain', data: 'eA==' } }] })],
  ['a Communication carrying it', 'POST', () => '/Communication', (id) => ({ resourceType: 'Communication', status: 'completed', subject: { reference: 'Patient/p1' }, payload: [{ contentReference: { reference: `DocumentReference/${id}` } }] })],
  ['a List of its result', 'POST', () => '/List', (id) => ({ resourceType: 'List', status: 'current', mode: 'working', subject: { reference: 'Patient/p1' }, entry: [{ item: { reference: `Observation/${id}-obs` } }] })],
  ['a Consent masking it', 'POST', () => '/Consent', (id) => ({ ...consent('x', 'p1', { type: 'deny', data: [{ meaning: 'instance', reference: { reference: `DocumentReference/${id}` } }] } as never), id: undefined })],
];

describe('a hidden document answers like a missing one', () => {
  for (const [who, hidden] of HIDDEN) {
    it(`to reads, searches, Bundles and Prefer forms (${who}, ${hidden} hidden from him)`, async () => {
      for (const [n, form] of READS.entries()) await expectSameAsMissing(who, hidden, form, n);
    });
  }
  for (const [who, hidden] of HIDDEN) {
    it(`to writes that name it or are conditioned on it (${who}, ${hidden} hidden from him)`, async () => {
      for (const [n, form] of WRITES.entries()) await expectSameAsMissing(who, hidden, form, 100 + n);
    });
  }
});

describe('a hidden record answers like a missing one', () => {
  // spec does not read p2 (his permit expired); p2's patient does not read p1.
  const RECORD_FORMS: Form[] = [
    ['$everything with _since and _type', 'GET', (id) => `/Patient/${id}/$everything?_since=2000-01-01&_type=Observation`],
    ['instance _history', 'GET', (id) => `/Patient/${id}/_history`],
    ['vread of version 1', 'GET', (id) => `/Patient/${id}/_history/1`],
    ['$validate of its deletion', 'POST', (id) => `/Patient/${id}/$validate`, () => ({ resourceType: 'Parameters', parameter: [{ name: 'mode', valueCode: 'delete' }] })],
    ['compartment search', 'GET', (id) => `/Patient/${id}/Observation`],
    ['$close', 'POST', (id) => `/Patient/${id}/$close`, () => ({ resourceType: 'Parameters', parameter: [{ name: 'reason', valueCode: 'patient-request' }] })],
    ['$reactivate', 'POST', (id) => `/Patient/${id}/$reactivate`, () => ({})],
    ['$update-identity', 'POST', (id) => `/Patient/${id}/$update-identity`, () => ({ resourceType: 'Parameters', parameter: [{ name: 'reason', valueString: 'x' }, { name: 'birthDate', valueDate: '1980-01-02' }] })],
    ['the trail by patient', 'GET', (id) => `/AuditEvent?patient=Patient/${id}`],
    ['$verify of the trail', 'GET', (id) => `/AuditEvent/$verify?patient=Patient/${id}`],
    ['the notices', 'GET', (id) => `/Communication?patient=Patient/${id}`],
    ['conditional patch on its rows', 'PATCH', (id) => `/Observation?subject=Patient/${id}`, () => [{ op: 'add', path: '/language', value: 'fr' }], JSON_PATCH],
    ['conditional delete of its rows', 'DELETE', (id) => `/Observation?subject=Patient/${id}`],
    ['a creation whose subject is a conditional reference to it', 'POST', () => '/Observation', (id) => observation({ subject: { reference: `Patient?_id=${id}` } })],
    ['PUT of its Patient', 'PUT', (id) => `/Patient/${id}`, (id) => ({ resourceType: 'Patient', id })],
    ['PATCH of its Patient', 'PATCH', (id) => `/Patient/${id}`, () => [{ op: 'add', path: '/language', value: 'fr' }], JSON_PATCH],
    ['DELETE of its Patient', 'DELETE', (id) => `/Patient/${id}`],
    ['vread of a later version', 'GET', (id) => `/Patient/${id}/_history/2`],
    ['a batch creating in it and updating its Patient', 'POST', () => '', (id) => ({ resourceType: 'Bundle', type: 'batch', entry: [{ resource: observation({ subject: { reference: `Patient/${id}` } }), request: { method: 'POST', url: 'Observation' } }, { resource: { resourceType: 'Patient', id }, request: { method: 'PUT', url: `Patient/${id}` } }] })],
    ['a transaction creating in it', 'POST', () => '', (id) => ({ resourceType: 'Bundle', type: 'transaction', entry: [{ resource: observation({ subject: { reference: `Patient/${id}` } }), request: { method: 'POST', url: 'Observation' } }] })],
    ['a Binary kept under it', 'POST', () => '/Binary', (id) => ({ resourceType: 'Binary', contentType: 'text/plain', securityContext: { reference: `Patient/${id}` }, data: 'eA==' })],
    ['a RelatedPerson in it', 'POST', () => '/RelatedPerson', (id) => ({ resourceType: 'RelatedPerson', patient: { reference: `Patient/${id}` }, relationship: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-RoleCode', code: 'FRND' }] }] })],
    ['a Communication in it', 'POST', () => '/Communication', (id) => ({ resourceType: 'Communication', status: 'completed', subject: { reference: `Patient/${id}` } })],
    ['a document published in it (ITI-105)', 'POST', () => '/DocumentReference', (id) => ({ resourceType: 'DocumentReference', status: 'current', subject: { reference: `Patient/${id}` }, content: [{ attachment: { contentType: 'text/plain', data: 'eA==' } }] })],
  ];
  for (const [who, hidden] of [['spec', 'p2'], ['p2', 'p1'], ['unauth', 'p1']] as [Who, string][]) {
    it(`to $everything, history, operations, trail, notices and conditional writes (${who}, ${hidden} hidden from him)`, async () => {
      for (const [n, form] of RECORD_FORMS.entries()) await expectSameAsMissing(who, hidden, form, 200 + n);
    });
  }
});

describe('whether someone has a record (TD02 look-up by INS) is told only to who sees it', () => {
  // What an attacker gains: that a person has a DMP, by typing his INS.
  for (const [who, ins] of [['spec', '180012100100107'], ['unauth', '180012100100107'], ['blocked', '279035121518989'], ['p2', '279035121518989']] as [Who, string][]) {
    it(`${who}: a hidden record's INS answers like an INS with no record`, async () => {
      const unknown = withInsKey('1850275123456');
      for (const url of [(i: string) => `/Patient?identifier=urn:oid:1.2.250.1.213.1.4.8|${i}`, (i: string) => `/DocumentReference?patient.identifier=urn:oid:1.2.250.1.213.1.4.8|${i}`]) {
        const [h, m] = [await call(who, 'GET', url(ins)), await call(who, 'GET', url(unknown))];
        expect(shape(h, ins)).toEqual(shape(m, unknown));
      }
    });
  }
});
