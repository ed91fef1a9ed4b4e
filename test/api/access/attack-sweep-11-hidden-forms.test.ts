import type { MintOptions } from '../../../src/auth/mint-token';
import { ACTORS, shape, useSweepServer, type Answer } from './sweep-4';

// Issue 11's outside check, eleventh sweep, family "conditional interactions, existence oracles and operation
// parameters": the forms the fourth sweep (attack-sweep-4-oracles) did not ask, asked by the actors it did not ask too
// (guardian, SAMU regulator, break-glass, feeder). Rule: a hidden resource answers exactly like a missing one — status,
// ETag, Location, Content-Location, Last-Modified (by presence), body — in reads and in writes, conditional or not, alone
// or inside a batch or transaction. All held when this sweep ran; kept so that none comes back.
// Fixture: d2 masked (from spec, and from emergency access), d3 MASQUE_PS, d1 in p1 (which unauth, blocked, p2's patient
// and the feeder do not read), d4 INVISIBLE_PATIENT, d5 INVISIBLE_REPRESENTANTS_LEGAUX (hidden from the guardian).

const { call } = useSweepServer('dmp-sweep11-hidden-forms-');

type Form = [label: string, method: string, url: (id: string) => string, body?: (id: string) => unknown, headers?: Record<string, string>];
const JSON_PATCH = { 'Content-Type': 'application/json-patch+json' };
const SAMU: MintOptions = { kind: 'practitioner', id: '10000000066', role: 'samu-regulator' };
const BTG: MintOptions = { kind: 'practitioner', id: '10000000055', purpose: 'BTG', reason: 'patient inconscient' };
const observation = (extra: Record<string, unknown> = {}) => ({ resourceType: 'Observation', status: 'final', code: { text: 'x' }, subject: { reference: 'Patient/p1' }, ...extra });
const addLanguage = [{ op: 'add', path: '/language', value: 'fr' }];
const batch = (type: 'batch' | 'transaction', ...entry: unknown[]) => ({ resourceType: 'Bundle', type, entry });

const HIDDEN: [string, MintOptions, string][] = [
  ['spec', ACTORS.spec, 'd2'], ['unauth', ACTORS.unauth, 'd1'], ['blocked', ACTORS.blocked, 'd1'], ['p2', ACTORS.p2, 'd1'],
  ['patient', ACTORS.patient, 'd4'], ['guardian', ACTORS.guardian, 'd5'], ['SAMU regulator', SAMU, 'd2'], ['break-glass', BTG, 'd3'],
  ['feeder', ACTORS.feeder, 'd1'],
];

const FORMS: Form[] = [
  ['conditional update with If-Match', 'PUT', (id) => `/Observation?_id=${id}-obs`, () => observation(), { 'If-Match': 'W/"1"' }],
  ['conditional patch of two ids', 'PATCH', (id) => `/Observation?_id=${id}-obs,zz-other`, () => addLanguage, JSON_PATCH],
  ['conditional delete of two ids', 'DELETE', (id) => `/Observation?_id=${id}-obs,zz-other`],
  ['DELETE with If-Match', 'DELETE', (id) => `/Observation/${id}-obs`, undefined, { 'If-Match': 'W/"1"' }],
  ['PATCH with If-Match', 'PATCH', (id) => `/Observation/${id}-obs`, () => addLanguage, { ...JSON_PATCH, 'If-Match': 'W/"1"' }],
  ['PUT with a stale If-Match', 'PUT', (id) => `/Observation/${id}-obs`, (id) => observation({ id: `${id}-obs` }), { 'If-Match': 'W/"7"' }],
  ['batch: conditional patch (JSON Patch in a Binary)', 'POST', () => '', (id) => batch('batch', { resource: { resourceType: 'Binary', contentType: 'application/json-patch+json', data: Buffer.from(JSON.stringify(addLanguage)).toString('base64') }, request: { method: 'PATCH', url: `Observation?_id=${id}-obs` } })],
  ['batch: conditional delete', 'POST', () => '', (id) => batch('batch', { request: { method: 'DELETE', url: `Observation?_id=${id}-obs` } })],
  ['batch: read with If-None-Match', 'POST', () => '', (id) => batch('batch', { request: { method: 'GET', url: `Observation/${id}-obs`, ifNoneMatch: 'W/"1"' } })],
  ['transaction: conditional update', 'POST', () => '', (id) => batch('transaction', { resource: observation(), request: { method: 'PUT', url: `Observation?_id=${id}-obs` } })],
  ['transaction: conditional reference', 'POST', () => '', (id) => batch('transaction', { resource: observation({ hasMember: [{ reference: `Observation?_id=${id}-obs` }] }), request: { method: 'POST', url: 'Observation' } })],
  ['transaction: If-None-Exist', 'POST', () => '', (id) => batch('transaction', { resource: observation(), request: { method: 'POST', url: 'Observation', ifNoneExist: `_id=${id}-obs` } })],
  ['If-None-Exist', 'POST', () => '/Observation', () => observation(), {}],
  ['vread with If-None-Match', 'GET', (id) => `/Observation/${id}-obs/_history/1`, undefined, { 'If-None-Match': 'W/"1"' }],
  ['read with If-Modified-Since', 'GET', (id) => `/Observation/${id}-obs`, undefined, { 'If-Modified-Since': 'Mon, 01 Jan 2001 00:00:00 GMT' }],
  ['type history by _id', 'GET', (id) => `/Observation/_history?_id=${id}-obs`],
  ['_summary=count', 'GET', (id) => `/Observation?_id=${id}-obs&_summary=count`],
  ['_sort, _total=accurate, _count=1 over several ids', 'GET', (id) => `/Observation?_id=zz-other,${id}-obs&_sort=-_lastUpdated&_total=accurate&_count=1`],
  [':missing', 'GET', (id) => `/Observation?_id=${id}-obs&code:missing=false&_total=accurate`],
  [':not', 'GET', (id) => `/Observation?_id=${id}-obs&status:not=cancelled&_total=accurate`],
  ['_has', 'GET', (id) => `/DocumentReference?_has:Observation:derived-from:_id=${id}-obs&_total=accurate`],
  ['_revinclude of its Binary', 'GET', (id) => `/DocumentReference?_id=${id}&_revinclude=Binary:securitycontext&_total=accurate`],
  ['_search by POST with _elements', 'POST', () => '/Observation/_search', (id) => `_id=${id}-obs&_total=accurate&_elements=code`, { 'Content-Type': 'application/x-www-form-urlencoded' }],
];

describe('a hidden result answers like a missing one, to forms and actors sweep 4 did not ask', () => {
  for (const [who, mint, doc] of HIDDEN) {
    it(`${who} (${doc} hidden from him)`, async () => {
      for (const [n, [label, method, url, body, headers]] of FORMS.entries()) {
        // A missing id of its own for each form: rows written by an earlier form never answer a later one.
        const missing = `zz-missing-${n}`;
        const ask = (id: string): Promise<Answer> => call(mint, method, url(id), body?.(id), headers);
        const [h, m] = [await ask(doc), await ask(missing)];
        expect([label, ...shape(h, doc)]).toEqual([label, ...shape(m, missing)]);
      }
    });
  }
});
