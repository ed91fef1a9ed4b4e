import { advisoryLock } from '../../../src/store/locks';
import { INS_NIR, P1_INS } from './fixture';
import { useSweepServer, type Who } from './sweep-4';
import { holdInTransaction, statusWithin } from './held-locks';

// Issue 11, left open by sweep 11 ("conditional look-ups reveal concurrent activity"): every conditional look-up took a
// blocking lock named after its criteria, shared by every caller. A professional who does not see p1's record sent
// `PATCH Patient?identifier=<p1's INS>`: while a feeder filed for that INS (holding the same lock until its commit), his
// request waited; otherwise it answered at once. He learnt that a filing was in progress for a record hidden from him.
// Rule now: a look-up that can never create (conditional patch, conditional delete) takes no lock, and answers as fast
// for a record being filed as for an unknown one. A conditional create still waits: "never two records for one INS"
// needs it (pinned below, so that the lock is not dropped everywhere by mistake).
// PostgreSQL only: PGlite runs one statement at a time.

const { run, call } = useSweepServer('dmp-conditional-lock-');
const url = process.env.TEST_DATABASE_URL;
const describePg = url ? describe : describe.skip;
if (!url) {
  test('conditional look-up locks (PostgreSQL only)', () => {
    console.log('conditional-lock-activity tests not run: TEST_DATABASE_URL is not set (PGlite runs one statement at a time)');
  });
}

const WAIT_MS = 2_000;
const CRITERIA = `identifier=${encodeURIComponent(`${INS_NIR}|${P1_INS}`)}`;
// The key `findMatches` locks: the type and its criteria, as URLSearchParams spells them.
const LOCK_KEY = `Patient?${new URLSearchParams([['identifier', `${INS_NIR}|${P1_INS}`]]).toString()}`;

/** Holds the criteria lock, as a feeder's filing for p1's INS does until it commits, until `release` is called. */
const holdCriteriaLock = () => holdInTransaction(run.server.db, (tx) => advisoryLock(tx, LOCK_KEY));
const answerWhileLocked = (answer: Promise<{ status: number }>) => statusWithin(answer, WAIT_MS);

describePg('a conditional look-up that cannot create tells nothing of a filing in progress', () => {
  const patch = [{ op: 'add', path: '/language', value: 'fr' }];
  const forms: [string, string, unknown, Record<string, string>][] = [
    ['conditional PATCH', 'PATCH', patch, { 'Content-Type': 'application/json-patch+json' }],
    ['conditional DELETE', 'DELETE', undefined, {}],
  ];
  for (const who of ['unauth', 'p2', 'blocked'] as Who[]) {
    it(`${who}: conditional PATCH and DELETE on p1's INS answer at once while a filing for it holds its lock`, async () => {
      for (const [label, method, body, headers] of forms) {
        const quiet = await call(who, method, `/Patient?${CRITERIA}`, body, headers);
        const lock = await holdCriteriaLock();
        const pending = call(who, method, `/Patient?${CRITERIA}`, body, headers);
        const status = await answerWhileLocked(pending);
        await lock.release();
        await pending;
        expect([label, status]).toEqual([label, quiet.status]);
      }
      // Nothing was changed by these refused or unmatched writes: the treating physician reads p1 at its first version.
      expect((await call('gp', 'GET', '/Patient/p1')).body?.meta?.versionId).toBe('1');
    });
  }

  it('a conditional create on the same criteria still waits for the filing (one record per INS)', async () => {
    const lock = await holdCriteriaLock();
    const pending = call('gp', 'POST', '/Patient', { resourceType: 'Patient', identifier: [{ system: INS_NIR, value: P1_INS }], name: [{ family: 'MARTIN', given: ['Zoé'] }], gender: 'female', birthDate: '2015-04-02' }, { 'If-None-Exist': CRITERIA });
    expect(await answerWhileLocked(pending)).toBe('waited');
    await lock.release();
    // Then it finds p1, which the treating physician sees: no second record.
    const found = await pending;
    expect([found.status, found.body?.id]).toEqual([200, 'p1']);
  });
});
