import { readFileSync } from 'node:fs';
import path from 'node:path';
import { sql } from '../../../src/store/sql';
import { byRpps, consent, RPPS, systemContext } from './fixture';
import { useSweepServer } from './sweep-4';

// Issue 11, attack sweep 10, stored data: a List of record A naming a DocumentReference of record B is refused at write
// (attack-sweep-10-cross-record-lists.test.ts), and B's author no longer reads it. But Lists stored before the rule
// (or by the server) kept those entries: p2 read in her own List the id of p1's document d1, in every version, and found
// the List with `List?item=DocumentReference/d1`. Rule: a List lists documents of its own patient — migration 228
// removes the entries naming another record's document from the List (current row and history), with their index
// rows, and derives again what its documents decide (one document governs it; several give it their labels), as a write
// of the List as it now reads would. Rows inserted the old way (system writes, which the write rule does not judge),
// then the migration run as the upgrade runs it. Fixture: d1 in p1; e1 in p2; gp authorised in both.

const { run, call } = useSweepServer('dmp-lists-migration-');
const migration = readFileSync(path.join(__dirname, '../../../src/store/migrations/228_lists_list_documents_of_their_record.sql'), 'utf8');
const list = (patient: string, ...docs: string[]) => ({ resourceType: 'List', status: 'current', mode: 'working', title: `Suivi ${patient}`, subject: { reference: `Patient/${patient}` }, entry: docs.map((d) => ({ item: { reference: `DocumentReference/${d}` } })) });
const items = (body: { entry?: { item: { reference: string } }[] }): string[] => (body.entry ?? []).map((e) => e.item.reference);
const ids = (body: { entry?: { resource: { id: string } }[] }): string[] => (body?.entry ?? []).map((e) => e.resource.id);
const storedAs = (p: string) => run.server.service.repo.update(systemContext(), { ...list(p.split(':')[0], ...p.split(':')[1].split(',').filter(Boolean)), id: p.split(':')[2] } as never);
async function columnsOf(id: string): Promise<{ doc_id: string | null; security: string[]; text: string }> {
  const { rows } = await run.server.db.query<{ doc_id: string | null; security: string[]; text: string }>(sql`SELECT doc_id, security, text FROM resource WHERE type = 'List' AND id = ${id}`);
  return rows[0];
}

let e2 = '';
const untouched: Record<string, string> = {};

beforeAll(async () => {
  const permit = await call('p2', 'POST', '/Consent', { ...consent('x', 'p2', { type: 'permit', actor: [byRpps(RPPS.gp)] }), id: undefined });
  expect(permit.status).toBe(201);
  const doc = await call('gp', 'POST', '/DocumentReference', {
    resourceType: 'DocumentReference', status: 'current', subject: { reference: 'Patient/p2' },
    type: { coding: [{ system: 'http://loinc.org', code: '11488-4' }] },
    content: [{ attachment: { contentType: 'text/plain', data: Buffer.from('compte rendu').toString('base64') } }],
  });
  expect(doc.status).toBe(201);
  e2 = doc.body.id as string;
  // Stored the old way: p2's Lists naming p1's d1 (alone, beside e1, and in an earlier version beside e1 then e1 and e2).
  await storedAs('p2:d1:old-one');
  await storedAs('p2:e1,d1:old-two');
  await storedAs('p2:d1,e1:old-mixed');
  await storedAs(`p2:e1,d1,${e2}:old-mixed`);
  // Not touched: p2's own, p1's own, and an id no document has (kept as the write rule keeps it).
  await storedAs('p2:e1:own');
  await storedAs('p1:d1:p1-own');
  await storedAs('p2:nowhere:free-id');
  for (const id of ['own', 'p1-own', 'free-id']) untouched[id] = (await columnsOf(id)).text;
});

it('before: p2 reads p1\'s document id in her Lists and finds them by it (the leak the migration closes)', async () => {
  const one = await call('p2', 'GET', '/List/old-one');
  expect([one.status, items(one.body)]).toEqual([200, ['DocumentReference/d1']]);
  expect((await call('p2', 'GET', '/List/old-mixed/_history/1')).text).toContain('DocumentReference/d1');
  expect(ids((await call('p2', 'GET', '/List?item=DocumentReference/d1&_count=100')).body).sort()).toEqual(['old-mixed', 'old-one', 'old-two']);
});

describe('after migration 228', () => {
  beforeAll(async () => {
    await run.server.db.query(migration);
  });

  it('the Lists hold only their own record\'s documents, in their order, every version included', async () => {
    for (const [id, expected] of [['old-one', []], ['old-two', ['DocumentReference/e1']], ['old-mixed', ['DocumentReference/e1', `DocumentReference/${e2}`]]] as const) {
      const res = await call('p2', 'GET', `/List/${id}`);
      expect([id, res.status, items(res.body)]).toEqual([id, 200, expected]);
      const history = await call('p2', 'GET', `/List/${id}/_history`);
      expect(history.status).toBe(200);
      expect(history.text).not.toContain('DocumentReference/d1');
    }
    const first = await call('p2', 'GET', '/List/old-mixed/_history/1');
    expect([first.status, items(first.body), first.body.meta.versionId]).toEqual([200, ['DocumentReference/e1'], '1']);
    // An emptied List has no `entry` (FHIR has no empty arrays), and keeps what it said besides.
    const { body: emptied } = await call('p2', 'GET', '/List/old-one');
    expect([emptied.entry, emptied.title, emptied.subject]).toEqual([undefined, 'Suivi p2', { reference: 'Patient/p2' }]);
  });

  it('p2 finds no List by p1\'s document any more; her own documents still find theirs', async () => {
    expect(ids((await call('p2', 'GET', '/List?item=DocumentReference/d1&_count=100')).body)).toEqual([]);
    expect(ids((await call('p2', 'GET', '/List?item=DocumentReference/e1&_count=100')).body).sort()).toEqual(['old-mixed', 'old-two', 'own']);
    expect(ids((await call('gp', 'GET', '/DocumentReference?_id=d1&_revinclude=List:item')).body).sort()).toEqual(['d1', 'p1-own']);
  });

  it('what the documents decide is derived as a write of the List as it now reads derives it', async () => {
    // The same Lists written now, through the API, by a professional authorised in p2.
    for (const [id, docs] of [['old-one', []], ['old-two', ['e1']], ['old-mixed', ['e1', e2]]] as const) {
      const fresh = await call('gp', 'POST', '/List', list('p2', ...docs));
      expect(fresh.status).toBe(201);
      const [now, written] = [await columnsOf(id), await columnsOf(fresh.body.id as string)];
      expect([id, now.doc_id, [...now.security].sort()]).toEqual([id, written.doc_id, [...written.security].sort()]);
    }
    expect((await columnsOf('old-two')).doc_id).toBe('e1');
  });

  it('Lists of their own record\'s documents, and an id no document has, are untouched; the readers of each record read theirs', async () => {
    for (const id of ['own', 'p1-own', 'free-id']) expect([id, (await columnsOf(id)).text]).toEqual([id, untouched[id]]);
    expect((await call('patient', 'GET', '/List/p1-own')).status).toBe(200);
    expect((await call('gp', 'GET', '/List/old-mixed')).status).toBe(200);
  });

  it('run again, it changes nothing', async () => {
    const before = await columnsOf('old-mixed');
    await run.server.db.query(migration);
    expect(await columnsOf('old-mixed')).toEqual(before);
  });
});
