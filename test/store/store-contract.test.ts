import type { Patient, Resource } from '@medplum/fhirtypes';
import type { RequestContext } from '../../src/fhir/context';
import { parseSearch } from '../../src/fhir/search/parse';
import { HISTORY_SOURCE } from '../../src/store/history-source';
import { Repository } from '../../src/store/repository';
import { executeSearch } from '../../src/store/search-executor';
import { sql, TRUE } from '../../src/store/sql';
import { availableDbKinds, createTestDb, type TestDb } from '../support/test-db';
import { RequestState } from '../../src/fhir/request-state';

const ctx: RequestContext = { requestId: 'contract', access: TRUE, state: new RequestState() };

/** The same contract, unchanged, against every store implementation available (PGlite always, PostgreSQL in CI). */
describe.each(availableDbKinds())('store contract on %s', (kind) => {
  let t: TestDb;
  let repo: Repository;
  beforeAll(async () => {
    t = await createTestDb(kind);
    repo = new Repository(t.db);
  });
  afterAll(async () => {
    await t.drop();
  });

  const search = (type: string, params: [string, string][]) => executeSearch(t.db, ctx, parseSearch(type, params, true));

  it('creates version 1 and reads the served text back with resourceType, id and meta first', async () => {
    const { stored } = await repo.create(ctx, { resourceType: 'Patient', gender: 'female', name: [{ family: 'Contract' }] });
    expect(stored.versionId).toBe(1);
    const read = await repo.read(ctx, 'Patient', stored.id);
    expect(read.text?.startsWith(`{"resourceType":"Patient","id":"${stored.id}","meta":{"versionId":"1"`)).toBe(true);
    expect(JSON.parse(read.text as string).gender).toBe('female');
  });

  it('keeps every version and replaces the search index on update', async () => {
    const { resource } = await repo.create(ctx, { resourceType: 'Patient', name: [{ family: 'Before' }] });
    await repo.update(ctx, { ...resource, name: [{ family: 'After' }] } as Resource, { ifMatch: 1 });
    expect(JSON.parse((await repo.vread(ctx, 'Patient', resource.id as string, 1)).text as string).name[0].family).toBe('Before');
    expect((await search('Patient', [['family', 'before']])).total).toBe(0);
    expect((await search('Patient', [['family', 'after']])).total).toBe(1);
    // The history table holds the replaced version; the current one is stored once, in `resource`.
    const { rows } = await t.db.query<{ v: number }>(sql`SELECT version_id AS v FROM resource_history WHERE id = ${resource.id}`);
    expect(rows).toEqual([{ v: 1 }]);
    const versions = await t.db.query<{ v: number }>(sql`SELECT h.version_id AS v FROM ${HISTORY_SOURCE} h WHERE h.id = ${resource.id} ORDER BY 1`);
    expect(versions.rows).toEqual([{ v: 1 }, { v: 2 }]);
  });

  it('keeps a JSONB copy only for the types queried by content, in one-row and batch writes', async () => {
    const practitioner = await repo.create(ctx, { resourceType: 'Practitioner', identifier: [{ system: 'urn:oid:1.2.250.1.71.4.2.1', value: '810000000042' }] });
    const observation = await repo.create(ctx, { resourceType: 'Observation', status: 'final', code: { text: 'TSH' } });
    const batch = await repo.transaction(async (tx) => [
      await tx.create(ctx, { resourceType: 'Observation', status: 'final', code: { text: 'T4' } }),
      await tx.create(ctx, { resourceType: 'DocumentReference', status: 'current', content: [{ attachment: { url: 'Binary/x' } }] }),
    ]);
    const ids = [practitioner, observation, ...batch].map((w) => w.stored.id);
    const { rows } = await t.db.query<{ type: string; has_content: boolean; has_text: boolean }>(
      sql`SELECT type, content IS NOT NULL AS has_content, text IS NOT NULL AS has_text FROM resource WHERE id = ANY(${ids}::text[]) ORDER BY type, last_updated`,
    );
    expect(rows).toEqual([
      { type: 'DocumentReference', has_content: true, has_text: true },
      { type: 'Observation', has_content: false, has_text: true },
      { type: 'Observation', has_content: false, has_text: true },
      { type: 'Practitioner', has_content: true, has_text: true },
    ]);
  });

  it('refuses a stale If-Match with 412 and leaves the row unchanged', async () => {
    const { resource } = await repo.create(ctx, { resourceType: 'Patient', gender: 'male' });
    await expect(repo.update(ctx, { ...resource, gender: 'female' } as Resource, { ifMatch: 5 })).rejects.toMatchObject({ status: 412 });
    expect(JSON.parse((await repo.read(ctx, 'Patient', resource.id as string)).text as string).gender).toBe('male');
  });

  it('deletes with a tombstone version: 410 on read, absent from search, index rows gone', async () => {
    const { stored } = await repo.create(ctx, { resourceType: 'Patient', name: [{ family: 'Tombstone' }] });
    const tomb = await repo.delete(ctx, 'Patient', stored.id);
    expect(tomb?.versionId).toBe(2);
    await expect(repo.read(ctx, 'Patient', stored.id)).rejects.toMatchObject({ status: 410 });
    expect((await search('Patient', [['family', 'tombstone']])).total).toBe(0);
    const { rows } = await t.db.query<{ n: number }>(sql`SELECT count(*)::int AS n FROM idx_string WHERE rid = ${stored.rid}`);
    expect(rows[0].n).toBe(0);
  });

  it('rolls back every write of a failed transaction', async () => {
    await expect(
      repo.transaction(async (tx) => {
        await tx.create(ctx, { resourceType: 'Organization', name: 'Ghost' });
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect((await search('Organization', [['name', 'ghost']])).total).toBe(0);
  });

  it('hides rows outside the access predicate as if they did not exist', async () => {
    const { stored } = await repo.create(ctx, { resourceType: 'Patient', name: [{ family: 'Hidden' }] });
    const denied: RequestContext = { ...ctx, access: sql`r.id <> ${stored.id}` };
    await expect(repo.read(denied, 'Patient', stored.id)).rejects.toMatchObject({ status: 404 });
    expect((await executeSearch(t.db, denied, parseSearch('Patient', [['family', 'hidden']], true))).total).toBe(0);
    // Writing over a hidden row is refused as an update-as-create the caller may not make (store/update-create.ts):
    // token actors get that same 403 for a free id, so the answer does not tell the row exists.
    await expect(repo.update(denied, { resourceType: 'Patient', id: stored.id } as Patient)).rejects.toMatchObject({ status: 403 });
    await expect(repo.update({ ...denied, updateCreate: false }, { resourceType: 'Patient', id: 'never-existed' } as Patient)).rejects.toMatchObject({ status: 403 });
  });

  it('stores the patient compartment of compartment resources and governs a Binary by its document', async () => {
    const { stored: patient } = await repo.create(ctx, { resourceType: 'Patient' });
    const { stored: binary } = await repo.create(ctx, { resourceType: 'Binary', contentType: 'text/plain' }, { binaryData: Buffer.from('x') });
    const { stored: doc } = await repo.create(ctx, {
      resourceType: 'DocumentReference', status: 'current', subject: { reference: `Patient/${patient.id}` },
      securityLabel: [{ coding: [{ code: 'N' }] }], content: [{ attachment: { url: `Binary/${binary.id}` } }],
    });
    expect(doc.compartment).toBe(patient.id);
    const { rows } = await t.db.query<{ compartment: string; doc_id: string; security: string[] }>(
      sql`SELECT compartment, doc_id, security FROM resource WHERE type IN ('Binary', 'DocumentReference') AND id = ANY(${[binary.id, doc.id]}::text[]) ORDER BY type`,
    );
    expect(rows).toEqual([
      { compartment: patient.id, doc_id: doc.id, security: [] },
      { compartment: patient.id, doc_id: doc.id, security: ['N'] },
    ]);
    expect((await repo.readBinaryData(ctx, binary.id, 1))?.data.toString()).toBe('x');
  });

  it('never creates over a resource: an id given to a create is refused when a row, live, deleted or hidden, holds it', async () => {
    // The row statement is an upsert: a create under a taken id replaced that row and took over its history (attack
    // sweep 11). Hidden from the caller or not, the answer is the same, and the row is untouched.
    const { stored: held } = await repo.create(ctx, { resourceType: 'Observation', status: 'final', code: { text: 'held' } });
    const { stored: gone } = await repo.create(ctx, { resourceType: 'Observation', status: 'final', code: { text: 'gone' } });
    await repo.delete(ctx, 'Observation', gone.id);
    const blind: RequestContext = { ...ctx, access: sql`FALSE` };
    for (const [caller, id] of [[ctx, held.id], [ctx, gone.id], [blind, held.id]] as const) {
      await expect(repo.create(caller, { resourceType: 'Observation', status: 'final', code: { text: 'over' } }, { id })).rejects.toMatchObject({ status: 412 });
    }
    await expect(repo.transaction((tx) => tx.create(blind, { resourceType: 'Observation', status: 'final', code: { text: 'over' } }, { id: held.id }))).rejects.toMatchObject({ status: 412 });
    expect(JSON.parse((await repo.read(ctx, 'Observation', held.id)).text as string).code.text).toBe('held');
    expect((await repo.readRow(ctx, 'Observation', gone.id))?.deleted).toBe(true);
  });

  it('serialises concurrent writes to one resource into consecutive versions', async () => {
    const { resource } = await repo.create(ctx, { resourceType: 'Patient' });
    await Promise.all(Array.from({ length: 5 }, (_, i) => repo.update(ctx, { ...resource, birthDate: `200${i}-01-01` } as Resource)));
    expect((await repo.read(ctx, 'Patient', resource.id as string)).versionId).toBe(6);
  });
});
