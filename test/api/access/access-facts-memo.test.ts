import type { Resource } from '@medplum/fhirtypes';
import { accessFact, ACCESS_CHANGING_TYPES, forgetAccessFacts } from '../../../src/access/access-facts-memo';
import { classOf, OFFERED_TYPES } from '../../../src/access/resource-classes';
import type { Db, Statements } from '../../../src/store/db';
import { inWriteTransaction } from '../../support/write-transaction';
import { loadFixture, systemContext } from './fixture';
import { createAccessApp, type AccessApp } from './harness';
import { clinicalInstance, directoryInstance, newPatient, recordInstance } from './matrix-fixture';

// A transaction's write decisions remember what they read of the access tables (access-facts-memo.ts) until a write
// that may change those tables. The memo is only as safe as its list of such types: this file proves the list from
// the tables themselves, by writing every offered type and watching which writes change them.

let a: AccessApp;
let db: Db;

beforeAll(async () => {
  a = await createAccessApp();
  await loadFixture(a.service);
  db = a.testDb.db;
}, 120_000);
afterAll(() => a.close());

/** One digest per access table but `access_writer` (who wrote a row: no decision about a record reads it). */
async function accessTables(): Promise<Record<string, string>> {
  const { rows: tables } = await db.query<{ name: string }>(
    `SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema() AND table_name LIKE 'access\\_%' AND table_name <> 'access_writer' ORDER BY 1`,
  );
  const digests: Record<string, string> = {};
  for (const { name } of tables) {
    const { rows } = await db.query<{ d: string }>(`SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) AS d FROM ${name} t`);
    digests[name] = rows[0].d;
  }
  return digests;
}

function instanceOf(type: string, n: number): Resource {
  if (type === 'Patient') return newPatient(900 + n);
  switch (classOf(type)) {
    case 'clinical':
      return clinicalInstance(type, 'p1', { author: '10000000001' });
    case 'directory':
      return directoryInstance(type);
    default:
      return recordInstance(type, 'p1');
  }
}

const WRITTEN_TYPES = OFFERED_TYPES.filter((t) => t !== 'AuditEvent');

test.each(WRITTEN_TYPES.map((type, n) => [type, n] as const))('%s: a create or delete changes the access tables only if the type is listed as access-changing', async (type, n) => {
  const ctx = systemContext();
  const before = await accessTables();
  const created = await a.service.repo.create(ctx, instanceOf(type, n));
  const afterCreate = await accessTables();
  await a.service.repo.delete(ctx, type, created.stored.id);
  const afterDelete = await accessTables();
  const changed = JSON.stringify(before) !== JSON.stringify(afterCreate) || JSON.stringify(afterCreate) !== JSON.stringify(afterDelete);
  if (changed) expect(ACCESS_CHANGING_TYPES.has(type)).toBe(true);
});

test('the types listed as access-changing do change the access tables (the list names no type for nothing)', async () => {
  const ctx = systemContext();
  for (const type of ACCESS_CHANGING_TYPES) {
    const before = await accessTables();
    const resource = type === 'RelatedPerson'
      ? { ...recordInstance(type, 'p1'), relationship: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-RoleCode', code: 'GUARD' }] }] }
      : instanceOf(type, 50);
    await a.service.repo.create(ctx, resource as Resource);
    expect({ type, changed: JSON.stringify(await accessTables()) !== JSON.stringify(before) }).toEqual({ type, changed: true });
  }
});

describe('the memo', () => {
  const fact = (tx: Statements, loads: string[]) => accessFact(tx, 'k', async () => {
    loads.push('load');
    return loads.length;
  });

  test('inside a repository transaction: asked once until forgotten, then asked again', async () => {
    const loads: string[] = [];
    await inWriteTransaction(db, async (tx) => {
      expect(await fact(tx, loads)).toBe(1);
      expect(await fact(tx, loads)).toBe(1);
      forgetAccessFacts(tx);
      expect(await fact(tx, loads)).toBe(2);
    });
    // Another transaction learns for itself.
    expect(await inWriteTransaction(db, (tx) => fact(tx, loads))).toBe(3);
  });

  test('outside a repository transaction every call looks up (nothing outlives a transaction)', async () => {
    const loads: string[] = [];
    expect(await fact(db, loads)).toBe(1);
    expect(await fact(db, loads)).toBe(2);
  });

  test('a failed look-up is not remembered', async () => {
    await inWriteTransaction(db, async (tx) => {
      await expect(accessFact(tx, 'f', () => Promise.reject(new Error('lost')))).rejects.toThrow('lost');
      expect(await accessFact(tx, 'f', async () => 'answered')).toBe('answered');
    });
  });
});
