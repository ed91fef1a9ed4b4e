import { sql } from '../../../src/store/sql';
import { useSweepServer, type Who } from './sweep-4';
import { holdInTransaction, statusWithin } from './held-locks';

// Issue 11's outside check, eleventh sweep: "hidden answers exactly as missing … timing-visible work" — on PostgreSQL,
// where requests run side by side (PGlite runs one statement at a time: nothing here can differ).
// Rule: a write naming a hidden id does the work of one naming a missing id: it waits for no lock of that row, and
// takes none. Found: PUT, PATCH and DELETE locked the row of the id (`SELECT … FOR UPDATE`) before asking whether the
// caller sees it. While its owner wrote it, a write on a hidden id waited and one on a missing id answered at once: the
// attacker told existence by timing, for any id (and his own transaction, naming hidden ids, held their owners'
// writes back until it ended). The owner's long write is played here by a transaction holding the row's lock.
// Fixture: d2 masked from spec, d1 in p1 (which unauth and p2's patient do not read), d4 INVISIBLE_PATIENT.

const { run, call } = useSweepServer('dmp-sweep11-locks-');
const url = process.env.TEST_DATABASE_URL;
const describePg = url ? describe : describe.skip;
if (!url) {
  test('row locks of hidden ids (PostgreSQL only)', () => {
    console.log('attack-sweep-11-locks tests not run: TEST_DATABASE_URL is not set (PGlite runs one statement at a time)');
  });
}

const WAIT_MS = 2_000;
const JSON_PATCH = { 'Content-Type': 'application/json-patch+json' };

/** Holds the lock of `type/id`'s row, as its owner's write would, until `release` is called. */
const holdRowLock = (type: string, id: string) => holdInTransaction(run.server.db, (tx) => tx.query(sql`SELECT 1 FROM resource WHERE type = ${type} AND id = ${id} FOR UPDATE`));
const statusWhileLocked = (answer: Promise<{ status: number }>) => statusWithin(answer, WAIT_MS);

type Write = [label: string, method: string, body?: unknown, headers?: Record<string, string>];
const WRITES: Write[] = [
  ['DELETE', 'DELETE'],
  ['PATCH', 'PATCH', [{ op: 'add', path: '/language', value: 'fr' }], JSON_PATCH],
  ['PUT with If-Match', 'PUT', undefined, { 'If-Match': 'W/"1"' }],
];

describePg('a write on a hidden id waits for no lock of its row, as on a missing id', () => {
  for (const [who, doc] of [['spec', 'd2'], ['unauth', 'd1'], ['p2', 'd1'], ['patient', 'd4']] as [Who, string][]) {
    it(`${who} (${doc} hidden from him): DELETE, PATCH and PUT of its result answer while its owner holds the row`, async () => {
      const hidden = `${doc}-obs`;
      for (const [label, method, body, headers] of WRITES) {
        const payload = (id: string) => body ?? { resourceType: 'Observation', id, status: 'final', code: { text: 'x' }, subject: { reference: 'Patient/p1' } };
        const missing = await call(who, method, `/Observation/zz-${label.length}`, payload(`zz-${label.length}`), headers);
        const lock = await holdRowLock('Observation', hidden);
        const pending = call(who, method, `/Observation/${hidden}`, payload(hidden), headers);
        const status = await statusWhileLocked(pending);
        await lock.release();
        await pending;
        expect([label, status]).toEqual([label, missing.status]);
      }
      // Untouched: the treating physician, who reads the whole record, still reads it at its first version.
      expect((await call('gp', 'GET', `/Observation/${hidden}`)).body?.meta?.versionId).toBe('1');
    });
  }
});
