import fc from 'fast-check';
import type { Resource } from '@medplum/fhirtypes';
import { OFFERED_TYPES } from '../../../src/access/resource-classes';
import { ACTORS, typeOf } from './actors';
import { FIXTURE } from './fixture';
import { useSweepServer, type Answer } from './sweep-4';

// Issue 11 ("think like the attacker") and issue 14 ("a fuzz test drives the FHIR endpoints"): `test/api/fuzz.test.ts`
// fuzzes the FHIR core with access switched off, so it cannot see a leak nor a failure in the access, audit and document
// hooks. Here the production composition (`startServer`, as `npm start` wires it) over the access fixture gets random
// requests from every actor of the access table:
// - reads (search with random parameters, modifiers, chains, `_has`, includes; instance reads, versions, histories,
//   `$everything`) must never answer a fixture row the actor may not see (the table's `visible` lists, written from the
//   rules, not from the code), nor a 5xx;
// - writes of mutated fixture resources by every actor must never answer a 5xx, and the server stays alive.
// Seeded: a failure is reproducible.

// CI runs the fixed seed; FUZZ_SEED and FUZZ_SCALE (a multiplier of the runs) explore further by hand.
const SCALE = Number(process.env.FUZZ_SCALE ?? 1);
const READS = 800 * SCALE;
const WRITES = 250 * SCALE;
const SEED = Number(process.env.FUZZ_SEED ?? 20261207);

const { call, run } = useSweepServer('dmp-fuzz-production-');
const actorNames = Object.keys(ACTORS);
const fixtureIds = new Set(FIXTURE.map((r) => r.id as string));
const ids = FIXTURE.map((r) => r.id as string);
let searchParams: Record<string, string[]> = {};

beforeAll(async () => {
  const meta = (await (await fetch(`${run.server.fhirUrl}/metadata`)).json()) as { rest: { resource: { type: string; searchParam?: { name: string }[] }[] }[] };
  searchParams = Object.fromEntries(meta.rest[0].resource.map((r) => [r.type, (r.searchParam ?? []).map((p) => p.name)]));
});

/** Every resource an answer carries: a Bundle's entries (contained and nested Bundles too), or the resource itself. */
function resourcesOf(body: unknown): Resource[] {
  const out: Resource[] = [];
  const walk = (r: any): void => {
    if (!r || typeof r !== 'object' || typeof r.resourceType !== 'string') return;
    out.push(r);
    for (const c of r.contained ?? []) walk(c);
    for (const e of r.entry ?? []) walk(e?.resource);
  };
  walk(body);
  return out;
}

const values = fc.oneof(
  fc.constantFrom(...ids.map((id) => `${typeOf(id)}/${id}`), ...ids, 'p1', 'Patient/p1', 'Patient/p2', 'gp', 'd2', '*'),
  fc.constantFrom('ge2000', 'lt2100-01-01', 'eq2015-04-02', 'sa2010', 'ap2020', '0', '-1', '100', 'gt0', 'http://loinc.org|', '|x', 'true', 'false', 'x,y,,'),
  fc.constantFrom('peanut', 'Martin', 'MASQUE_PS', 'INVISIBLE_PATIENT', 'urn:oid:1.2.250.1.213.1.4.8|279035121518989', '279035121518989', '810000000002'),
  fc.string({ maxLength: 12 }),
);
const modifiers = fc.constantFrom('', '', '', ':missing', ':exact', ':contains', ':not', ':text', ':above', ':below', ':identifier', ':Patient', ':of-type', ':iterate');
const special = fc.constantFrom(
  '_include', '_revinclude', '_include:iterate', '_revinclude:iterate', '_sort', '_count', '_summary', '_elements', '_total', '_id',
  '_lastUpdated', '_security', '_tag', '_has:DocumentReference:subject:_id', '_has:Observation:subject:code', '_has:Consent:patient:status',
  'subject.identifier', 'patient.name', 'subject:Patient.birthdate', 'patient._id', 'subject._has:Consent:patient:status',
);
const specialValues = fc.constantFrom('*', 'DocumentReference:subject', 'DocumentReference:patient', 'Observation:subject', 'Binary:*', 'Consent:patient',
  'Patient:general-practitioner', 'AuditEvent:patient', '-_lastUpdated', 'date', '-date', '_id', 'count', 'true', 'data', 'id,meta', 'd2', 'p1,p2,p3,p4', 'accurate', '1', '1000');

const readArb = fc.record({
  actor: fc.constantFrom(...actorNames),
  shape: fc.constantFrom('search', 'search', 'search', 'post-search', 'read', 'vread', 'history', 'type-history', 'everything'),
  type: fc.constantFrom(...OFFERED_TYPES),
  target: fc.constantFrom(...ids),
  patient: fc.constantFrom('p1', 'p2', 'p3', 'p4'),
  params: fc.array(fc.oneof(
    fc.tuple(fc.constant('@type'), modifiers, values),
    fc.tuple(special, fc.constant(''), fc.oneof(specialValues, values)),
  ), { maxLength: 3 }),
});
type ReadRequest = typeof readArb extends fc.Arbitrary<infer T> ? T : never;

/** The URL, method and body of a read: `@type` stands for one of the search parameters the type advertises. */
function readOf(r: ReadRequest, pickParam: (type: string) => string): { method: string; url: string; body?: string; headers?: Record<string, string> } {
  const query = r.params.map(([name, mod, value]) => `${encodeURIComponent((name === '@type' ? pickParam(r.type) : name) + mod)}=${encodeURIComponent(value)}`).join('&');
  const q = query ? `?${query}` : '';
  const targetType = typeOf(r.target);
  switch (r.shape) {
    case 'post-search': return { method: 'POST', url: `/${r.type}/_search`, body: query, headers: { 'Content-Type': 'application/x-www-form-urlencoded' } };
    case 'read': return { method: 'GET', url: `/${targetType}/${r.target}${q}` };
    case 'vread': return { method: 'GET', url: `/${targetType}/${r.target}/_history/1` };
    case 'history': return { method: 'GET', url: `/${targetType}/${r.target}/_history${q}` };
    case 'type-history': return { method: 'GET', url: `/${r.type}/_history${q}` };
    case 'everything': return { method: 'GET', url: `/Patient/${r.patient}/$everything${q}` };
    default: return { method: 'GET', url: `/${r.type}${q}` };
  }
}

describe('random requests on the production composition, every actor of the access table', () => {
  it(`${READS} reads answer no fixture row outside the actor's visible set, and no 5xx`, async () => {
    const statuses = new Map<number, number>();
    let rowsSeen = 0;
    let counter = 0;
    const pickParam = (type: string) => {
      const names = searchParams[type] ?? ['_id'];
      return names[counter++ % names.length];
    };
    await fc.assert(
      fc.asyncProperty(readArb, async (r) => {
        const actor = ACTORS[r.actor];
        const { method, url, body, headers } = readOf(r, pickParam);
        const res: Answer = await call(actor.mint, method, url, body, { ...actor.headers, ...headers });
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        if (res.status >= 500) throw new Error(`${r.actor}: ${method} ${url} ${body ?? ''} answered ${res.status}: ${res.text.slice(0, 300)}`);
        if (res.status >= 300) return;
        const leaked = resourcesOf(res.body).map((x) => x.id as string).filter((id) => fixtureIds.has(id) && !actor.visible.includes(id));
        rowsSeen += resourcesOf(res.body).filter((x) => fixtureIds.has(x.id as string)).length;
        if (leaked.length) throw new Error(`${r.actor}: ${method} ${url} ${body ?? ''} answered rows it may not see: ${[...new Set(leaked)].join(', ')}`);
      }),
      { numRuns: READS, seed: SEED },
    );
    // The reads reached the store and answered rows: not all refused at the door.
    expect(statuses.get(200) ?? 0).toBeGreaterThan(READS / 10);
    expect(rowsSeen).toBeGreaterThan(READS / 8);
  }, 240_000 * SCALE);

  const jsonValue = fc.oneof(
    fc.constantFrom(null, 0, -1, 1e308, '', 'x', true, [], [null], {}, [[[]]], { reference: 'Patient/p2' }, { reference: '#x' }, { coding: 'x' }, 'x'.repeat(3000)),
    fc.jsonValue({ maxDepth: 3 }),
  );
  const writeArb = fc.record({
    actor: fc.constantFrom(...actorNames),
    method: fc.constantFrom('POST', 'PUT', 'PUT', 'PATCH', 'DELETE', 'transaction', 'batch'),
    target: fc.constantFrom(...ids),
    edits: fc.array(fc.tuple(fc.constantFrom('id', 'meta', 'status', 'subject', 'patient', 'extension', 'contained', 'identifier', 'text', 'code', 'provision', 'securityContext', 'content', 'zzz'), jsonValue), { minLength: 1, maxLength: 3 }),
    conditional: fc.boolean(),
    patch: fc.record({ op: fc.constantFrom('replace', 'add', 'remove', 'move', 'copy', 'test'), path: fc.constantFrom('/status', '/subject', '/meta/security', '/meta/security/-', '/id', '/identifier/0', '/x/y', ''), value: jsonValue }),
    // Malformed patches (an operation that is not an object, a path that is not a string) and FHIRPath Patch Parameters.
    patchForm: fc.constantFrom('json', 'json', 'broken', 'fhirpath'),
    broken: fc.constantFrom<unknown[]>([null], [1], [[]], [{ op: 5, path: {} }], [{ op: 'replace', path: 5, value: 'x' }], [{ op: 'move', from: {}, path: '/status' }]),
    fhirpath: fc.record({ type: fc.oneof(fc.constantFrom('replace', 'add', 'delete', 'insert', 'move'), jsonValue), path: fc.oneof(fc.constantFrom('DocumentReference.status', 'Observation.status', 'Consent.provision', 'Patient.name[0]'), jsonValue), parts: fc.boolean() }),
  });

  it(`${WRITES} writes of mutated fixture resources answer no 5xx, and the server stays up`, async () => {
    const statuses = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(writeArb, async (w) => {
        const actor = ACTORS[w.actor];
        const original = FIXTURE.find((x) => x.id === w.target) as Resource;
        const mutated: Record<string, unknown> = structuredClone(original) as unknown as Record<string, unknown>;
        for (const [field, value] of w.edits) mutated[field] = value;
        const type = original.resourceType;
        const bundled = w.method === 'transaction' || w.method === 'batch';
        let url = w.method === 'POST' || bundled ? `/${type}` : `/${type}/${w.target}`;
        if (w.conditional && w.method !== 'POST') url = `/${type}?_id=${w.target}`;
        // A Bundle at the base carries the mutated resource as a create, and an update of the untouched original.
        const bundle = {
          resourceType: 'Bundle', type: w.method,
          entry: [
            { fullUrl: 'urn:uuid:6f1a3c9e-0000-4000-8000-000000000001', resource: mutated, request: { method: 'POST', url: type } },
            { resource: original, request: { method: w.conditional ? 'PUT' : 'GET', url: w.conditional ? `${type}/${w.target}` : `${type}/${w.target}` } },
          ],
        };
        if (bundled) url = '';
        const fhirPathPatch = {
          resourceType: 'Parameters',
          parameter: [{ name: 'operation', part: w.fhirpath.parts ? [{ name: 'type', valueCode: w.fhirpath.type }, { name: 'path', valueString: w.fhirpath.path }, { name: 'value', valueCode: 'superseded' }] : w.fhirpath.type }],
        };
        const patchBody = w.patchForm === 'broken' ? w.broken : w.patchForm === 'fhirpath' ? fhirPathPatch : [{ ...w.patch, from: '/id' }];
        const body = w.method === 'PATCH' ? patchBody : w.method === 'DELETE' ? undefined : bundled ? bundle : mutated;
        const method = bundled ? 'POST' : w.method;
        const headers = { ...actor.headers, ...(w.method === 'PATCH' && w.patchForm !== 'fhirpath' ? { 'Content-Type': 'application/json-patch+json' } : {}) };
        const res = await call(actor.mint, method, url, body, headers);
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        if (res.status >= 500) throw new Error(`${w.actor}: ${w.method} ${url} ${JSON.stringify(body)?.slice(0, 600)} answered ${res.status}: ${res.text.slice(0, 300)}`);
      }),
      { numRuns: WRITES, seed: SEED },
    );
    expect((await fetch(`${run.server.url}/healthz`)).status).toBe(200);
    const patient = await call('patient', 'GET', '/Patient/p1');
    expect(patient.status).toBe(200);
    // Refusals of several kinds were met (the writes reached validation and the rules, not only the router).
    expect([...statuses.keys()].filter((s) => s >= 400 && s < 500).length).toBeGreaterThan(2);
  }, 240_000 * SCALE);
});
