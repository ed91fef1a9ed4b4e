import { createAuditHooks } from '../../../src/audit/audit-hooks';
import { AuditSystemStore } from '../../../src/audit/audit-system-store';
import { SystemRepository } from '../../../src/system/system-repository';
import { verifyChain } from '../../../src/audit/verify-chain';
import type { RequestContext } from '../../../src/fhir/context';
import { RequestState } from '../../../src/fhir/request-state';
import { raw } from '../../../src/store/sql';
import { availableDbKinds, createTestDb, type TestDb } from '../../support/test-db';

// AUDIT_FLUSH_CONCURRENCY > 1: several read batches are stored at once, each chained from the heads the writer
// remembers, so a later batch of the same patient chains on an earlier one that has not committed yet. Whatever
// the interleaving, every chain must stay one unbroken line, every event stored once, every caller answered.

const source = { id: 'dmp-fhir-test', display: 'DMP FHIR test server', address: '10.0.0.1' };

function ctx(n: number): RequestContext {
  return {
    requestId: `req-${n}`,
    access: raw('TRUE'),
    state: new RequestState(),
    actor: { kind: 'practitioner', id: 'u1', display: 'Dr Marie Curie', keys: ['urn:oid:1.2.250.1.71.4.2.1|810000000001'], claims: {} } as RequestContext['actor'],
  };
}

describe.each(availableDbKinds())('read audit with several flushes in flight (%s)', (kind) => {
  let testDb: TestDb;
  beforeAll(async () => {
    testDb = await createTestDb(kind);
  }, 60_000);
  afterAll(async () => {
    await testDb.drop();
  });

  it('keeps every patient chain unbroken and stores each event once', async () => {
    const hooks = createAuditHooks({ store: new AuditSystemStore(new SystemRepository(testDb.db)), source, writer: { secret: 'flush-test' }, flushConcurrency: 3 });
    const read = (n: number) =>
      hooks.afterRead(ctx(n), { interaction: 'read', resourceType: 'Observation', resources: [{ resourceType: 'Observation', id: `o${n}`, compartment: `pat-${n % 4}` }] });
    // Waves of reads arriving while earlier flushes are still in flight, all on the same four chains.
    const waves: Promise<void>[] = [];
    for (let wave = 0; wave < 6; wave++) {
      for (let i = 0; i < 25; i++) waves.push(read(wave * 25 + i));
      await new Promise((resolve) => setImmediate(resolve));
    }
    await Promise.all(waves);
    expect(hooks.groupCommit.stats.items).toBe(150);
    expect(hooks.groupCommit.stats.flushes).toBeGreaterThan(1);
    const { rows } = await testDb.db.query<{ n: number; ids: number }>(
      `SELECT count(*)::int AS n, count(DISTINCT text::jsonb #>> '{input,resources,0}')::int AS ids FROM resource WHERE type = 'AuditEvent'`,
    );
    expect(rows[0]).toEqual({ n: 150, ids: 150 });
    expect(await verifyChain(testDb.db, { secret: 'flush-test' })).toMatchObject({ intact: true, events: 150, chains: 4 });
  });
});
