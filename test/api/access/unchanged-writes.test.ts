import { raw, sql } from '../../../src/store/sql';
import { INDEX_TABLE_NAMES } from '../../../src/store/index-rows-sql';
import { RPPS } from './fixture';
import { shape, useSweepServer, type Who } from './sweep-4';
import type { MintOptions } from '../../../src/auth/mint-token';

// Issue 11, write side: a PATCH that changed nothing, or a PUT of the content already stored, wrote an identical new
// version (history row, index rows rewritten, a write in the trail naming a version that says nothing new).
// Rule (FHIR R4 http.html#update, §3.1.0.4.3 "servers … need not create a new version when the content is unchanged"):
// an update whose content equals the current version's, `meta.versionId` and `meta.lastUpdated` set aside, answers 200
// with that version and its ETag, writing nothing — no history row, no index rewrite, no notice. It is still judged as
// an update first (who may change it; hidden answered as missing) and the trail still records the access. A stale
// If-Match still answers 412. Covered for every class of type: clinical (Observation), DocumentReference, Patient,
// Consent, directory (Organization).

const { run, call } = useSweepServer('dmp-unchanged-writes-');
const JSON_PATCH = { 'Content-Type': 'application/json-patch+json' };
const ADMIN: MintOptions = { kind: 'system', id: 'annuaire', role: 'directory-admin' };
// Ids nobody holds, in the form of the id each test compares with (a UUID like a created row's, or a chosen one).
const MISSING = 'no-row-holds-this-id';
const MISSING_UUID = '0d0c0b0a-0000-4000-8000-00000000beef';

interface Case {
  label: string;
  who: Who | MintOptions;
  type: string;
  /** The id written (created in beforeAll when `create` is given). */
  id: string;
  create?: Record<string, unknown>;
  /** A JSON Patch that changes nothing (a value replaced by itself). */
  samePatch: (current: any) => unknown[];
  /** A JSON Patch that changes something. */
  change: unknown[];
}

const CASES: Case[] = [
  {
    label: 'an Observation (clinical) by its author', who: 'gp', type: 'Observation', id: '',
    create: { resourceType: 'Observation', status: 'final', code: { text: 'glycémie' }, subject: { reference: 'Patient/p1' }, valueQuantity: { value: 1.05, unit: 'g/L' } },
    samePatch: (c) => [{ op: 'replace', path: '/status', value: c.status }],
    change: [{ op: 'replace', path: '/valueQuantity/value', value: 1.1 }],
  },
  {
    label: 'a DocumentReference by its author', who: 'gp', type: 'DocumentReference', id: '',
    create: {
      resourceType: 'DocumentReference', status: 'current', subject: { reference: 'Patient/p1' },
      type: { coding: [{ system: 'http://loinc.org', code: '11488-4' }] },
      author: [{ identifier: { system: 'urn:oid:1.2.250.1.71.4.2.1', value: `8${RPPS.gp}` } }],
      content: [{ attachment: { contentType: 'text/plain', data: Buffer.from('compte rendu').toString('base64') } }],
    },
    samePatch: (c) => [{ op: 'replace', path: '/status', value: c.status }],
    // A document's metadata update changes its status and labels only (TD3.3).
    change: [{ op: 'replace', path: '/status', value: 'superseded' }],
  },
  {
    label: 'the Patient by the patient', who: 'patient', type: 'Patient', id: 'p1',
    samePatch: (c) => [{ op: 'replace', path: '/name/0/family', value: c.name[0].family }],
    change: [{ op: 'add', path: '/telecom/-', value: { system: 'phone', value: '0102030405' } }],
  },
  {
    label: 'a Consent by the patient', who: 'patient', type: 'Consent', id: 'c1-mask',
    samePatch: (c) => [{ op: 'replace', path: '/status', value: c.status }],
    change: [{ op: 'add', path: '/dateTime', value: '2024-01-02T10:00:00+01:00' }],
  },
  {
    label: 'an Organization (directory) by a directory administrator', who: ADMIN, type: 'Organization', id: 'org1',
    samePatch: (c) => [{ op: 'replace', path: '/name', value: c.name }],
    change: [{ op: 'replace', path: '/name', value: 'Laboratoire du Parc (Nord)' }],
  },
];

/** What the store holds of one resource: current version, history rows, index rows, notices and trail events. */
async function footprint(type: string, id: string) {
  const db = run.server.db;
  const one = async (q: ReturnType<typeof sql>) => (await db.query<{ n: number | string }>(q)).rows[0].n;
  return {
    version: await one(sql`SELECT version_id AS n FROM resource WHERE type = ${type} AND id = ${id}`),
    history: await one(sql`SELECT count(*)::int AS n FROM resource_history WHERE type = ${type} AND id = ${id}`),
    // Rewritten index rows move (new physical positions), even when they say the same.
    index: await Promise.all(INDEX_TABLE_NAMES.map((t) => one(sql`SELECT coalesce(string_agg(ctid::text, ',' ORDER BY ctid), '') AS n FROM ${raw(t)} WHERE rid = (SELECT rid FROM resource WHERE type = ${type} AND id = ${id})`))),
    notices: await one(sql`SELECT count(*)::int AS n FROM notify_outbox`),
  };
}

/** Trail events (AuditEvent rows) naming `type/id`, as their texts. */
async function trailOf(type: string, id: string): Promise<string[]> {
  const { rows } = await run.server.db.query<{ text: string }>(sql`SELECT text FROM resource WHERE type = 'AuditEvent' AND text LIKE ${`%"${type}/${id}/_history/%`} ORDER BY last_updated`);
  return rows.map((r) => r.text);
}

const bodyOf = (current: any) => {
  const { meta: _meta, ...rest } = current;
  // Keys in another order are the same content.
  return Object.fromEntries(Object.entries(rest).reverse());
};

beforeAll(async () => {
  for (const c of CASES) {
    if (!c.create) continue;
    const created = await call(c.who, 'POST', `/${c.type}`, c.create);
    expect([c.label, created.status]).toEqual([c.label, 201]);
    c.id = created.body.id;
  }
});

describe.each(CASES.map((c) => [c.label, c] as const))('%s', (_label, c) => {
  const read = async () => {
    const res = await call(c.who, 'GET', `/${c.type}/${c.id}`);
    expect(res.status).toBe(200);
    return res.body;
  };

  it('a PATCH that changes nothing answers the current version (200, its ETag) and writes nothing', async () => {
    const current = await read();
    const before = await footprint(c.type, c.id);
    const trail = (await trailOf(c.type, c.id)).length;
    const res = await call(c.who, 'PATCH', `/${c.type}/${c.id}`, c.samePatch(current), JSON_PATCH);
    expect([res.status, res.headers.get('etag'), res.body.meta.versionId]).toEqual([200, `W/"${current.meta.versionId}"`, current.meta.versionId]);
    expect(res.body.meta.lastUpdated).toBe(current.meta.lastUpdated);
    expect(await footprint(c.type, c.id)).toEqual(before);
    // The access is recorded as usual, naming the version it answered.
    const after = await trailOf(c.type, c.id);
    expect(after.length).toBe(trail + 1);
    expect(after[after.length - 1]).toContain(`${c.type}/${c.id}/_history/${current.meta.versionId}`);
  });

  it('a PUT of the stored content (keys in another order, no meta) answers the current version and writes nothing', async () => {
    const current = await read();
    const before = await footprint(c.type, c.id);
    const res = await call(c.who, 'PUT', `/${c.type}/${c.id}`, bodyOf(current), { 'If-Match': `W/"${current.meta.versionId}"` });
    expect([res.status, res.headers.get('etag')]).toEqual([200, `W/"${current.meta.versionId}"`]);
    expect(await footprint(c.type, c.id)).toEqual(before);
  });

  it('a stale If-Match on a PATCH or PUT that changes nothing still answers 412', async () => {
    const current = await read();
    const stale = `W/"${Number(current.meta.versionId) + 7}"`;
    const patched = await call(c.who, 'PATCH', `/${c.type}/${c.id}`, c.samePatch(current), { ...JSON_PATCH, 'If-Match': stale });
    const put = await call(c.who, 'PUT', `/${c.type}/${c.id}`, bodyOf(current), { 'If-Match': stale });
    expect([patched.status, put.status]).toEqual([412, 412]);
  });

  it('a change is still written as a new version', async () => {
    const current = await read();
    const res = await call(c.who, 'PATCH', `/${c.type}/${c.id}`, c.change, JSON_PATCH);
    expect([res.status, res.body.meta.versionId]).toEqual([200, String(Number(current.meta.versionId) + 1)]);
    expect((await footprint(c.type, c.id)).history).toBe(Number(current.meta.versionId));
  });
});

describe('authorisation is decided before the comparison', () => {
  const observation = () => CASES[0];

  it('an unauthorised practitioner\'s unchanged PATCH of a record he does not read answers as for a missing id', async () => {
    const c = observation();
    const current = (await call('gp', 'GET', `/Observation/${c.id}`)).body;
    const hidden = await call('unauth', 'PATCH', `/Observation/${c.id}`, c.samePatch(current), JSON_PATCH);
    const missing = await call('unauth', 'PATCH', `/Observation/${MISSING_UUID}`, c.samePatch(current), JSON_PATCH);
    expect(hidden.status).toBe(404);
    expect(shape(hidden, c.id)).toEqual(shape(missing, MISSING_UUID));
    const hiddenPut = await call('unauth', 'PUT', `/Observation/${c.id}`, bodyOf(current));
    const missingPut = await call('unauth', 'PUT', `/Observation/${MISSING_UUID}`, { ...bodyOf(current), id: MISSING_UUID });
    expect(shape(hiddenPut, c.id)).toEqual(shape(missingPut, MISSING_UUID));
  });

  it('a professional who reads the result but did not write it is refused (403), unchanged or not', async () => {
    const c = observation();
    const current = (await call('gp', 'GET', `/Observation/${c.id}`)).body;
    const before = await footprint('Observation', c.id);
    const same = await call('spec', 'PATCH', `/Observation/${c.id}`, c.samePatch(current), JSON_PATCH);
    const put = await call('spec', 'PUT', `/Observation/${c.id}`, bodyOf(current));
    expect([same.status, put.status]).toEqual([403, 403]);
    expect(await footprint('Observation', c.id)).toEqual(before);
  });

  it('a feeder\'s PATCH of its own document setting the status it has answers that version; one that tests is still 403', async () => {
    const submitted = await call('feeder', 'POST', '/DocumentReference', CASES[1].create);
    expect(submitted.status).toBe(201);
    const id = submitted.body.id;
    const before = await footprint('DocumentReference', id);
    const same = await call('feeder', 'PATCH', `/DocumentReference/${id}`, [{ op: 'replace', path: '/status', value: 'current' }], JSON_PATCH);
    expect([same.status, same.headers.get('etag')]).toEqual([200, `W/"${submitted.body.meta.versionId}"`]);
    expect(await footprint('DocumentReference', id)).toEqual(before);
    const tests = await call('feeder', 'PATCH', `/DocumentReference/${id}`, [{ op: 'test', path: '/status', value: 'current' }], JSON_PATCH);
    expect(tests.status).toBe(403);
  });

  it('a patient\'s unchanged PUT of another record\'s Patient answers as for a missing id', async () => {
    const current = (await call('gp', 'GET', '/Patient/p1')).body;
    const hidden = await call('p2', 'PUT', '/Patient/p1', bodyOf(current));
    const missing = await call('p2', 'PUT', `/Patient/${MISSING}`, { ...bodyOf(current), id: MISSING });
    expect(shape(hidden, 'p1')).toEqual(shape(missing, MISSING));
  });
});

describe('in a transaction', () => {
  it('an entry that changes nothing answers the current version and writes no row', async () => {
    const c = CASES[0];
    const current = (await call('gp', 'GET', `/Observation/${c.id}`)).body;
    const before = await footprint('Observation', c.id);
    const bundle = {
      resourceType: 'Bundle', type: 'transaction',
      entry: [{ request: { method: 'PUT', url: `Observation/${c.id}` }, resource: bodyOf(current) }],
    };
    const res = await call('gp', 'POST', '', bundle);
    expect(res.status).toBe(200);
    expect(res.body.entry[0].response.etag).toBe(`W/"${current.meta.versionId}"`);
    expect(await footprint('Observation', c.id)).toEqual(before);
  });
});
