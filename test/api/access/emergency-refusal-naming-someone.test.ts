import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Consent } from '@medplum/fhirtypes';
import type { MintOptions } from '../../../src/auth/mint-token';
import { sql } from '../../../src/store/sql';
import { byRpps, consent, purpose, systemContext } from './fixture';
import { useSweepServer } from './sweep-4';

// Rule (src/access/README.md, "Refusing emergency access in advance"; DESIGN §1: "the patient can refuse both in
// advance"; DMP-CONTRACT §1.1: a blocked professional never gets access): a refusal of break-glass (BTG) or of SAMU
// regulation (ETREAT) concerns every professional and the whole record. Written in a provision that names a professional
// or a document, or under one that does, it was read as a refusal for everyone — "Dr X authorised, but not in
// break-glass" kept every professional out in an emergency. Such a Consent is refused with 422 on every write path; the
// patient keeps one professional out, emergencies included, by blocking him. Stored before, it derives no refusal
// (migration 220): the block or authorisation around it decides for the professional it names. Fixture: p1 open, d1.

const { run, call } = useSweepServer('dmp-emergency-refusal-');
const btg = (rpps: string): MintOptions => ({ kind: 'practitioner', id: rpps, purpose: 'BTG', reason: 'patient inconscient' });
const samu = (rpps: string): MintOptions => ({ kind: 'practitioner', id: rpps, role: 'samu-regulator' });
const JSON_PATCH = { 'Content-Type': 'application/json-patch+json' };

/** A Consent of p1 with this provision, no id (the server draws it). */
function ofP1(provision: Record<string, unknown>): Consent {
  const { id, ...body } = consent('x', 'p1', provision as NonNullable<Consent['provision']>);
  void id;
  return body as Consent;
}

/** What an emergency caller reads of p1: d1, and whether $everything holds it. */
async function emergencyReads(who: MintOptions): Promise<[number, boolean]> {
  const doc = await call(who, 'GET', '/DocumentReference/d1');
  const everything = await call(who, 'GET', '/Patient/p1/$everything?_count=1000');
  const ids = ((everything.body?.entry ?? []) as { resource: { resourceType: string; id: string } }[]).map((e) => `${e.resource.resourceType}/${e.resource.id}`);
  return [doc.status, ids.includes('DocumentReference/d1')];
}

const NAMED: [label: string, provision: Record<string, unknown>][] = [
  ['break-glass refused under an authorisation of Dr X', { type: 'permit', actor: [byRpps('10000000210')], provision: [{ type: 'deny', purpose: purpose('BTG') }] }],
  ['SAMU refused beside a block of Dr Y', { type: 'deny', actor: [byRpps('10000000211')], purpose: purpose('ETREAT') }],
  ['SAMU refused under a block of Dr Y', { type: 'deny', actor: [byRpps('10000000211')], provision: [{ type: 'deny', purpose: purpose('ETREAT') }] }],
  ['break-glass refused under the mask of a document', { type: 'deny', data: [{ meaning: 'instance', reference: { reference: 'DocumentReference/d1' } }], provision: [{ type: 'deny', purpose: purpose('BTG') }] }],
];

describe('a refusal of emergency access naming a professional or a document is refused at write', () => {
  for (const [label, provision] of NAMED) {
    it(`${label}: 422 by POST, PUT, transaction and batch; no emergency access is refused`, async () => {
      const post = await call('patient', 'POST', '/Consent', ofP1(provision));
      expect(post.status).toBe(422);
      expect(post.body.resourceType).toBe('OperationOutcome');
      expect(post.text).toContain('concerns every professional');
      // PUT over a Consent of hers (an update: the server draws the ids of new ones).
      const plain = await call('patient', 'POST', '/Consent', ofP1({ type: 'deny', actor: [byRpps('10000000218')] }));
      const put = await call('patient', 'PUT', `/Consent/${plain.body.id}`, { ...ofP1(provision), id: plain.body.id });
      expect([put.status, put.text]).toEqual([422, expect.stringContaining('concerns every professional')]);
      const entry = { request: { method: 'POST', url: 'Consent' }, resource: ofP1(provision) };
      expect((await call('patient', 'POST', '/', { resourceType: 'Bundle', type: 'transaction', entry: [entry] })).status).toBe(422);
      const batch = await call('patient', 'POST', '/', { resourceType: 'Bundle', type: 'batch', entry: [entry] });
      expect(batch.body.entry[0].response.status).toMatch(/^422/);
      // Another professional still breaks glass, another regulator still reads.
      expect(await emergencyReads(btg('10000000219'))).toEqual([200, true]);
      expect(await emergencyReads(samu('10000000229'))).toEqual([200, true]);
    });
  }

  it('by PATCH too: adding the refusal under a plain authorisation is refused, which stays as it was', async () => {
    const plain = await call('patient', 'POST', '/Consent', ofP1({ type: 'permit', actor: [byRpps('10000000212')] }));
    expect(plain.status).toBe(201);
    const patch = [{ op: 'add', path: '/provision/provision', value: [{ type: 'deny', purpose: purpose('BTG') }] }];
    const res = await call('patient', 'PATCH', `/Consent/${plain.body.id}`, patch, JSON_PATCH);
    expect(res.status).toBe(422);
    expect(res.text).toContain('concerns every professional');
    expect(await emergencyReads(btg('10000000219'))).toEqual([200, true]);
  });

  it('the way the patient keeps one professional out in an emergency: she blocks him, for break-glass and SAMU alike', async () => {
    expect((await call('patient', 'POST', '/Consent', ofP1({ type: 'deny', actor: [byRpps('10000000213')] }))).status).toBe(201);
    expect(await emergencyReads(btg('10000000213'))).toEqual([404, false]);
    expect(await emergencyReads(samu('10000000213'))).toEqual([404, false]);
    expect(await emergencyReads(btg('10000000219'))).toEqual([200, true]);
    expect(await emergencyReads(samu('10000000229'))).toEqual([200, true]);
  });

  it('a refusal for everyone, nested under the opening, is still accepted and refuses (the comparison can fail)', async () => {
    const opening = await call({ kind: 'patient', id: 'p1' }, 'POST', '/Consent', ofP1({ type: 'permit', provision: [{ type: 'deny', purpose: purpose('ETREAT') }] }));
    expect(opening.status).toBe(201);
    expect(await emergencyReads(samu('10000000229'))).toEqual([404, false]);
    expect(await emergencyReads(btg('10000000219'))).toEqual([200, true]);
    expect((await call('patient', 'PUT', `/Consent/${opening.body.id}`, { ...opening.body, status: 'inactive' })).status).toBe(200);
    expect(await emergencyReads(samu('10000000229'))).toEqual([200, true]);
  });
});

describe('migration 220: such refusals stored before refuse nobody; what the patient wrote of the professional holds', () => {
  const migration = readFileSync(path.join(__dirname, '../../../src/store/migrations/220_emergency_refusals_naming_someone.sql'), 'utf8');
  /** Stores the Consent as the server writes (no rule weighed), then the refusal row the earlier code derived from it. */
  async function storeAsBefore(id: string, provision: Record<string, unknown>, refused: string): Promise<void> {
    await run.server.service.repo.update(systemContext(), { ...ofP1(provision), id } as Consent);
    await run.server.db.query(sql`INSERT INTO access_consent (consent_id, patient_id, kind, purpose) VALUES (${id}, 'p1', 'refuse', ${refused})`);
  }

  it('break-glass under an authorisation, SAMU beside a block: refused to everyone before, to the one named after', async () => {
    await storeAsBefore('stored-btg', NAMED[0][1], 'BTG');
    await storeAsBefore('stored-samu', NAMED[1][1], 'ETREAT');
    expect(await emergencyReads(btg('10000000219'))).toEqual([404, false]);
    expect(await emergencyReads(samu('10000000229'))).toEqual([404, false]);
    await run.server.db.query(migration);
    expect(await emergencyReads(btg('10000000219'))).toEqual([200, true]);
    expect(await emergencyReads(samu('10000000229'))).toEqual([200, true]);
    // Dr Y, blocked by the same provision, stays out in an emergency; Dr X reads as the professional she authorised.
    expect(await emergencyReads(samu('10000000211'))).toEqual([404, false]);
    expect(await emergencyReads(btg('10000000211'))).toEqual([404, false]);
    expect((await call({ kind: 'practitioner', id: '10000000210' }, 'GET', '/DocumentReference/d1')).status).toBe(200);
  });

  it('a Consent that also refuses the same purpose naming nobody keeps its refusal, and can be withdrawn', async () => {
    const both = { type: 'permit', provision: [{ type: 'deny', purpose: purpose('BTG') }, { type: 'permit', actor: [byRpps('10000000214')], provision: [{ type: 'deny', purpose: purpose('BTG') }] }] };
    await storeAsBefore('stored-both', both, 'BTG');
    await run.server.db.query(migration);
    expect(await emergencyReads(btg('10000000219'))).toEqual([404, false]);
    const stored = await call('patient', 'GET', '/Consent/stored-both');
    expect((await call('patient', 'PUT', '/Consent/stored-both', { ...stored.body, status: 'inactive' })).status).toBe(200);
    expect(await emergencyReads(btg('10000000219'))).toEqual([200, true]);
  });
});
