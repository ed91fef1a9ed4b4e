import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Consent, List } from '@medplum/fhirtypes';
import type { MintOptions } from '../../../src/auth/mint-token';
import { sql } from '../../../src/store/sql';
import { byRpps, consent, maskDoc, RPPS, systemContext } from './fixture';
import { useSweepServer } from './sweep-4';

// Rule (src/access/README.md, "Masking a document"; FHIR R4 Consent.provision.provision: nested provisions are exceptions
// to the provision around them; DESIGN §1: a masked document is seen only by the treating physician and its author): « Dr
// X authorised, except document d1 » — a mask nested under a permit naming Dr X — hides d1 (its Binary, its extracted
// Observation, the Lists naming it) from Dr X only, in every mode he reads in, break-glass included. The other authorised
// professionals, the SAMU regulator and break-glass callers read d1 as before; the treating physician, its author and the
// patient always do. It was read as a mask for everyone: stricter than she wrote. Fixture (access fixture): p1 open,
// spec authorised, gp treating, d1 ordinary (author `author`), d5 ordinary; two Lists added here: l1 names d1, l2 names
// d1 and d5.

const { run, call } = useSweepServer('dmp-nested-mask-');
const DR_X = '10000000310';
const DR_Y = '10000000311';
const named: MintOptions = { kind: 'practitioner', id: DR_X };
const namedInBtg: MintOptions = { kind: 'practitioner', id: DR_X, purpose: 'BTG', reason: 'patient inconscient' };
const spec: MintOptions = { kind: 'practitioner', id: RPPS.spec };
const gp: MintOptions = { kind: 'practitioner', id: RPPS.gp };
const samu: MintOptions = { kind: 'practitioner', id: '10000000066', role: 'samu-regulator' };
const btg: MintOptions = { kind: 'practitioner', id: '10000000055', purpose: 'BTG', reason: 'patient inconscient' };
const patient: MintOptions = { kind: 'patient', id: 'p1' };

const D1 = ['DocumentReference/d1', 'Binary/d1-bin', 'Observation/d1-obs', 'List/l1', 'List/l2'];

/** Everything a caller can learn of d1 and the rows it governs or that name it, by each kind of request. */
async function whatHeSees(who: MintOptions): Promise<Record<string, unknown>> {
  const ids = (body: { entry?: { resource: { resourceType: string; id: string } }[] } | undefined): string[] =>
    (body?.entry ?? []).map((e) => `${e.resource.resourceType}/${e.resource.id}`).filter((id) => D1.includes(id) || id === 'DocumentReference/d5').sort();
  const read = async (url: string) => (await call(who, 'GET', url)).status;
  const search = await call(who, 'GET', '/DocumentReference?patient=p1&_count=100');
  const everything = await call(who, 'GET', '/Patient/p1/$everything?_count=1000');
  const revinclude = await call(who, 'GET', '/DocumentReference?_id=d1,d5&_revinclude=List:item');
  const include = await call(who, 'GET', '/List?_id=l1,l2&_include=List:item');
  const observations = await call(who, 'GET', '/Observation?patient=p1&_count=100');
  return {
    read: [await read('/DocumentReference/d1'), await read('/Binary/d1-bin'), await read('/Observation/d1-obs'), await read('/List/l1'), await read('/List/l2')],
    search: ids(search.body),
    searchTotal: search.body?.total,
    observations: ids(observations.body),
    everything: ids(everything.body),
    revinclude: ids(revinclude.body),
    include: ids(include.body),
  };
}

const ALL = { read: [200, 200, 200, 200, 200], search: ['DocumentReference/d1', 'DocumentReference/d5'], observations: ['Observation/d1-obs'], everything: [...D1, 'DocumentReference/d5'].sort(), revinclude: ['DocumentReference/d1', 'DocumentReference/d5', 'List/l1', 'List/l2'], include: ['DocumentReference/d1', 'DocumentReference/d5', 'List/l1', 'List/l2'] };
const WITHOUT_D1 = { read: [404, 404, 404, 404, 404], search: ['DocumentReference/d5'], observations: [], everything: ['DocumentReference/d5'], revinclude: ['DocumentReference/d5'], include: [] };

/** A Consent of p1 with this provision, no id (the server draws it). */
function ofP1(provision: Record<string, unknown>): Consent {
  const { id, ...body } = consent('x', 'p1', provision as NonNullable<Consent['provision']>);
  void id;
  return body as Consent;
}

const list = (id: string, docs: string[]): List => ({
  resourceType: 'List', id, status: 'current', mode: 'working', subject: { reference: 'Patient/p1' },
  entry: docs.map((d) => ({ item: { reference: `DocumentReference/${d}` } })),
});

let exception: string;
beforeAll(async () => {
  for (const l of [list('l1', ['d1']), list('l2', ['d1', 'd5'])]) await run.server.service.repo.update(systemContext(), l);
  const res = await call(patient, 'POST', '/Consent', ofP1({ type: 'permit', actor: [byRpps(DR_X)], provision: [{ type: 'deny', data: maskDoc('d1') }] }));
  expect(res.status).toBe(201);
  exception = res.body.id;
});

describe('« Dr X authorised, except document d1 »', () => {
  it('Dr X reads the record but not d1, its Binary, its Observation nor the Lists naming it, by any request', async () => {
    const seen = await whatHeSees(named);
    expect(seen).toEqual({ ...WITHOUT_D1, searchTotal: 2 });
    // The rest of the record is his: the authorisation holds.
    expect((await call(named, 'GET', '/DocumentReference/d5')).status).toBe(200);
  });

  it('Dr X breaking glass still does not read d1: a mask holds in an emergency', async () => {
    expect(await whatHeSees(namedInBtg)).toEqual({ ...WITHOUT_D1, searchTotal: 2 });
  });

  for (const [label, who] of [['another authorised professional', spec], ['the treating physician', gp], ['the SAMU regulator', samu], ['a break-glass caller', btg], ['the patient', patient]] as const) {
    it(`${label} reads d1 and everything it governs, as before the exception`, async () => {
      const seen = await whatHeSees(who);
      expect({ ...seen, searchTotal: undefined }).toEqual({ ...ALL, searchTotal: undefined });
    });
  }

  it('withdrawn, Dr X reads d1 again', async () => {
    const stored = await call(patient, 'GET', `/Consent/${exception}`);
    const other = await call(patient, 'POST', '/Consent', ofP1({ type: 'permit', actor: [byRpps(DR_X)] }));
    expect(other.status).toBe(201);
    expect((await call(patient, 'PUT', `/Consent/${exception}`, { ...stored.body, status: 'inactive' })).status).toBe(200);
    expect((await whatHeSees(named)).read).toEqual([200, 200, 200, 200, 200]);
    expect((await call(patient, 'PUT', `/Consent/${exception}`, stored.body)).status).toBe(200);
    expect((await whatHeSees(named)).read).toEqual(WITHOUT_D1.read);
    expect((await call(patient, 'PUT', `/Consent/${other.body.id}`, { ...other.body, status: 'inactive' })).status).toBe(200);
  });
});

describe('a mask nested under a block, and one for every professional beside it', () => {
  it('« Dr Y blocked, and d1 » hides d1 from Dr Y (blocked anyway), not from the others', async () => {
    const res = await call(patient, 'POST', '/Consent', ofP1({ type: 'deny', actor: [byRpps(DR_Y)], provision: [{ type: 'deny', data: maskDoc('d1') }] }));
    expect(res.status).toBe(201);
    expect((await call({ kind: 'practitioner', id: DR_Y }, 'GET', '/DocumentReference/d5')).status).toBe(404);
    expect((await call(spec, 'GET', '/DocumentReference/d1')).status).toBe(200);
    expect((await call(samu, 'GET', '/DocumentReference/d1')).status).toBe(200);
    expect((await call(patient, 'PUT', `/Consent/${res.body.id}`, { ...res.body, status: 'inactive' })).status).toBe(200);
  });

  it('the same document also masked naming nobody in the same Consent is masked for everyone', async () => {
    const res = await call(patient, 'POST', '/Consent', ofP1({ type: 'permit', provision: [{ type: 'deny', data: maskDoc('d5') }, { type: 'permit', actor: [byRpps(DR_X)], provision: [{ type: 'deny', data: maskDoc('d5') }] }] }));
    expect(res.status).toBe(201);
    for (const who of [spec, samu, named]) expect((await call(who, 'GET', '/DocumentReference/d5')).status).toBe(404);
    expect((await call(gp, 'GET', '/DocumentReference/d5')).status).toBe(200);
    expect((await call(patient, 'PUT', `/Consent/${res.body.id}`, { ...res.body, status: 'inactive' })).status).toBe(200);
  });
});

describe('migration 224: such masks stored before, for everyone, become masks for the professional named', () => {
  const migration = readFileSync(path.join(__dirname, '../../../src/store/migrations/224_masks_for_named_professionals.sql'), 'utf8');

  it('an exception stored as a mask for everyone hides d1 from Dr X only after the migration', async () => {
    const id = 'stored-exception';
    await run.server.service.repo.update(systemContext(), { ...ofP1({ type: 'permit', actor: [byRpps('10000000312')], provision: [{ type: 'deny', data: maskDoc('d5') }] }), id } as Consent);
    // As the earlier code derived it: a mask for everyone.
    await run.server.db.query(sql`DELETE FROM access_consent WHERE consent_id = ${id} AND kind = 'mask'`);
    await run.server.db.query(sql`INSERT INTO access_consent (consent_id, patient_id, kind, doc_id) VALUES (${id}, 'p1', 'mask', 'd5')`);
    expect((await call(spec, 'GET', '/DocumentReference/d5')).status).toBe(404);
    await run.server.db.query(migration);
    expect((await call(spec, 'GET', '/DocumentReference/d5')).status).toBe(200);
    expect((await call(btg, 'GET', '/DocumentReference/d5')).status).toBe(200);
    // Named by IdNat_PS, he is recognised by his RPPS too (the spellings the rules derive).
    expect((await call({ kind: 'practitioner', id: '10000000312' }, 'GET', '/DocumentReference/d5')).status).toBe(404);
    expect((await call({ kind: 'practitioner', id: '10000000312' }, 'GET', '/DocumentReference/d1')).status).toBe(200);
    const { rows } = await run.server.db.query<{ actor_key: string | null }>(sql`SELECT actor_key FROM access_consent WHERE consent_id = ${id} AND kind = 'mask' ORDER BY actor_key`);
    expect(rows.map((r) => r.actor_key)).toEqual(['https://rpps.esante.gouv.fr|10000000312', 'urn:oid:1.2.250.1.71.4.2.1|810000000312']);
  });
});
