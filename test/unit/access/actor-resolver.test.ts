import { practitionerIdentifierKeys, type DmpActor } from '../../../src/access/actor';
import { ActorResolver } from '../../../src/access/actor-resolver';
import type { Db, Statements } from '../../../src/store/db';
import { inWriteTransaction } from '../../support/write-transaction';
import type { PgliteDb } from '../../../src/store/pglite-db';
import { sql } from '../../../src/store/sql';
import { SystemRepository } from '../../../src/system/system-repository';
import { openTestDb } from './test-db';

// One RPPS per test: the tests share a database.
let RPPS = '10000000040';
const actor = (): DmpActor => ({ kind: 'practitioner', id: RPPS, scopes: [], keys: practitionerIdentifierKeys(RPPS), patientIds: [] });
const practitionerKeys = (a: DmpActor): string[] => a.keys.filter((k) => k.startsWith('Practitioner/')).sort();

/** Stores a Practitioner entry carrying the RPPS (raw rows: resolveActor reads its `identifier` token row and `resource.content`). */
async function addPractitioner(tx: Statements, id: string): Promise<void> {
  const content = { resourceType: 'Practitioner', id, identifier: [{ system: 'urn:oid:1.2.250.1.71.4.2.1', value: `8${RPPS}` }] };
  await tx.query(sql`INSERT INTO resource (type, id, version_id, last_updated, content, text)
    VALUES ('Practitioner', ${id}, 1, now(), ${JSON.stringify(content)}::jsonb, ${JSON.stringify(content)})`);
  await tx.query(sql`INSERT INTO idx_token (rid, type, param, system, code)
    SELECT rid, type, 'identifier', 'urn:oid:1.2.250.1.71.4.2.1', ${`8${RPPS}`} FROM resource WHERE type = 'Practitioner' AND id = ${id}`);
}

describe('ActorResolver (cached actor resolution)', () => {
  let db: PgliteDb;
  let clock = 0;
  beforeAll(async () => {
    db = await openTestDb();
  });
  beforeEach(() => {
    clock = 0;
    RPPS = String(Number(RPPS) + 1);
  });
  afterAll(() => db.close());
  /** The connection the resolver's system repository sends its look-ups to (one test points it at another handle). */
  let lookups: Db;
  beforeEach(() => {
    lookups = db;
  });
  const viaLookups = (): Db => ({ kind: 'pglite', query: (s, v) => lookups.query(s, v), transaction: (fn) => lookups.transaction(fn), close: async () => undefined });
  const resolver = (): ActorResolver => new ActorResolver(new SystemRepository(viaLookups()), { ttlMs: 1000, clock: () => clock });

  it('finds a directory entry written through an identity write on the very next request', async () => {
    const r = resolver();
    expect(practitionerKeys(await r.resolve(actor()))).toEqual([]);
    await inWriteTransaction(db, async (tx) => {
      r.identityWritten(tx);
      await addPractitioner(tx, 'pr-1');
    });
    expect(practitionerKeys(await r.resolve(actor()))).toEqual(['Practitioner/pr-1']);
  });

  it('reuses a resolution until its time is up when nothing was written through this process', async () => {
    const r = resolver();
    expect(practitionerKeys(await r.resolve(actor()))).toEqual([]);
    await addPractitioner(db, 'pr-2'); // another process's write: no invalidation here
    expect(practitionerKeys(await r.resolve(actor()))).toEqual([]);
    clock = 1000;
    expect(practitionerKeys(await r.resolve(actor()))).toEqual(['Practitioner/pr-2']);
  });

  it('does not keep what it read while an identity write was in flight, once the write has ended', async () => {
    const r = resolver();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let written!: () => void;
    const writing = new Promise<void>((resolve) => (written = resolve));
    // PGlite runs one transaction at a time, so the concurrent lookup runs on a second database handle
    // standing for another connection (it cannot see the uncommitted row either way).
    const other = await openTestDb();
    try {
      const tx = inWriteTransaction(db, async (t) => {
        r.identityWritten(t);
        await addPractitioner(t, 'pr-3');
        written();
        await gate;
      });
      await writing;
      lookups = other;
      expect(practitionerKeys(await r.resolve(actor()))).toEqual([]);
      lookups = db;
      release();
      await tx;
      expect(practitionerKeys(await r.resolve(actor()))).toEqual(['Practitioner/pr-3']);
    } finally {
      await other.close();
    }
  });

  it('with a time of 0, always asks the database', async () => {
    const r = new ActorResolver(new SystemRepository(db), { ttlMs: 0 });
    await r.resolve(actor());
    await addPractitioner(db, 'pr-4');
    expect(practitionerKeys(await r.resolve(actor()))).toEqual(['Practitioner/pr-4']);
  });
});
