import type { MintOptions } from '../../../src/auth/mint-token';
import { byRpps, consent, RPPS } from './fixture';
import { useSweepServer, type Who } from './sweep-4';

// Issue 11's outside check, eleventh sweep, family "conditional interactions": a conditional create matches under the
// caller's look-up, and a create never replaces what exists. Rules (DESIGN §3, §5; src/access/README.md "Hidden is absent,
// everywhere", "A row never moves to another record"): a transaction entry answers as the same request sent alone;
// emergency access (SAMU regulation, break-glass) is a read, and every write needs an ordinary authorisation; a row's
// versions follow its id, so a row never changes record, and a deleted id is never re-created by a token actor.
// Fixture: d1-obs is extracted from d1 in p1's record; the SAMU regulator and the break-glass practitioner read p1 by
// emergency access only; p2's patient authorises them (and spec) in p2 below.

const { call } = useSweepServer('dmp-sweep11-conditional-');

const SAMU: MintOptions = { kind: 'practitioner', id: '10000000066', role: 'samu-regulator' };
const BTG: MintOptions = { kind: 'practitioner', id: '10000000055', purpose: 'BTG', reason: 'patient inconscient' };
const observation = (patient: string, text: string) => ({ resourceType: 'Observation', status: 'final', code: { text }, subject: { reference: `Patient/${patient}` } });
const transaction = (entry: unknown[]) => ({ resourceType: 'Bundle', type: 'transaction', entry });

/** p2's patient authorises this professional in his record (an ordinary permit, by his RPPS). */
async function permitInP2(rpps: string): Promise<void> {
  const permit = await call('p2', 'POST', '/Consent', { ...consent('x', 'p2', { type: 'permit', actor: [byRpps(rpps)] }), id: undefined });
  expect(permit.status).toBe(201);
}

/** What p1's patient reads of d1-obs: the extracted result, untouched, in his record. */
async function expectD1ObsUntouched(): Promise<void> {
  const read = await call('patient', 'GET', '/Observation/d1-obs');
  expect([read.status, read.body?.subject?.reference, read.body?.code?.text, read.body?.meta?.versionId]).toEqual([200, 'Patient/p1', 'result', '1']);
  expect((await call('p2', 'GET', '/Observation/d1-obs/_history/1')).status).toBe(404);
}

describe('a transaction matches If-None-Exist with the look-up of a write, as the entry sent alone', () => {
  // What the attacker gained: the regulator (or a break-glass reader) authorised in one record sent a conditional create
  // whose criteria named a row of a record he reads only in emergency; the transaction matched it under his read, gave
  // the entry its id, the entry (matching under his write look-up) found nothing and was stored under that id — the
  // upsert replaced p1's result with his Observation, in p2: p1's patient lost it, p2's readers got its id and versions.
  for (const [label, who, rpps] of [['SAMU regulator', SAMU, '10000000066'], ['break-glass practitioner', BTG, '10000000055']] as const) {
    it(`${label}: a row read by emergency access is no match; the entry is created under its own id`, async () => {
      await permitInP2(rpps);
      const alone = await call(who, 'POST', '/Observation', observation('p2', 'alone'), { 'If-None-Exist': '_id=d1-obs' });
      expect(alone.status).toBe(201);
      const entry = await call(who, 'POST', '', transaction([{ resource: observation('p2', 'in a transaction'), request: { method: 'POST', url: 'Observation', ifNoneExist: '_id=d1-obs' } }]));
      expect(entry.status).toBe(200);
      const created = entry.body.entry[0];
      expect(created.response.status).toBe('201 Created');
      expect(created.resource.id).not.toBe('d1-obs');
      expect(created.resource.subject.reference).toBe('Patient/p2');
      await expectD1ObsUntouched();
    });
  }
});

describe('a creation never replaces a resource', () => {
  // What the attacker gained: a professional authorised in p1 and p2 deleted his Observation of p1 and, in the same
  // transaction, conditionally created one in p2 matching it: the DELETE ran first, the create found no match and was
  // stored under the deleted id — the row moved to p2 with its versions written in p1 (read by p2's patient).
  it('a conditional create whose match another entry deletes is refused, and the transaction writes nothing', async () => {
    await permitInP2(RPPS.spec);
    const own = await call('spec', 'POST', '/Observation', observation('p1', 'written in p1'));
    expect(own.status).toBe(201);
    const id = own.body.id as string;
    const moved = await call('spec', 'POST', '', transaction([
      { request: { method: 'DELETE', url: `Observation/${id}` } },
      { resource: observation('p2', 'written in p2'), request: { method: 'POST', url: 'Observation', ifNoneExist: `_id=${id}` } },
    ]));
    expect(moved.status).toBe(412);
    expect(moved.body.resourceType).toBe('OperationOutcome');
    // Nothing written: the row is still p1's, live, at its first version; p2's patient reads none of it.
    const read = await call('patient', 'GET', `/Observation/${id}`);
    expect([read.status, read.body?.subject?.reference, read.body?.meta?.versionId]).toEqual([200, 'Patient/p1', '1']);
    for (const url of [`/Observation/${id}`, `/Observation/${id}/_history/1`, `/Observation/${id}/_history`]) {
      expect([url, (await call('p2', 'GET', url)).status]).toEqual([url, 404]);
    }
  });

  it('the same conditional create sent after the deletion creates under an id of its own', async () => {
    const own = await call('spec', 'POST', '/Observation', observation('p1', 'to delete'));
    const id = own.body.id as string;
    expect((await call('spec', 'DELETE', `/Observation/${id}`)).status).toBe(200);
    const again = await call('spec', 'POST', '/Observation', observation('p2', 'new'), { 'If-None-Exist': `_id=${id}` });
    expect(again.status).toBe(201);
    expect(again.body.id).not.toBe(id);
    expect((await call('patient' as Who, 'GET', `/Observation/${id}`)).status).toBe(410);
  });
});

describe('conditional criteria choose resources', () => {
  // `_summary=count` made the look-up answer a total and no resource: the criteria matched nothing whatever existed, so
  // a conditional update wrote a second row beside the one it named, a conditional delete left it, If-None-Exist
  // always created. Bad input: 400, nothing written.
  it('_summary=count in the criteria of a conditional update, patch, delete or create is refused with 400', async () => {
    const own = await call('spec', 'POST', '/Observation', observation('p1', 'criteria'));
    const id = own.body.id as string;
    const count = async () => (await call('spec', 'GET', '/Observation?subject=Patient/p1&_summary=count')).body.total as number;
    const before = await count();
    const criteria = `_id=${id}&_summary=count`;
    const answers = [
      await call('spec', 'PUT', `/Observation?${criteria}`, observation('p1', 'updated')),
      await call('spec', 'PATCH', `/Observation?${criteria}`, [{ op: 'add', path: '/language', value: 'fr' }], { 'Content-Type': 'application/json-patch+json' }),
      await call('spec', 'DELETE', `/Observation?${criteria}`),
      await call('spec', 'POST', '/Observation', observation('p1', 'again'), { 'If-None-Exist': criteria }),
    ];
    expect(answers.map((a) => [a.status, a.body?.resourceType])).toEqual(Array(4).fill([400, 'OperationOutcome']));
    const read = await call('spec', 'GET', `/Observation/${id}`);
    expect([read.status, read.body?.meta?.versionId, read.body?.language]).toEqual([200, '1', undefined]);
    expect(await count()).toBe(before);
  });
});
