import type { Resource } from '@medplum/fhirtypes';
import type { RequestContext, WriteEvent } from '../../src/fhir/context';
import { buildBatchWriteStatement, type BatchRow } from '../../src/store/batch-write-sql';
import { deriveColumns } from '../../src/store/derived-columns';
import { computeIndexRows } from '../../src/store/indexer';
import { Repository, serialise } from '../../src/store/repository';
import { sql, TRUE } from '../../src/store/sql';
import { buildWriteStatement } from '../../src/store/write-sql';
import { availableDbKinds, createTestDb, type TestDb } from '../support/test-db';
import { RequestState } from '../../src/fhir/request-state';
import type { WriteTransaction } from '../../src/store/write-transaction';

const ctx: RequestContext = { requestId: 'write-behind', access: TRUE, state: new RequestState() };

/** Resources touching every index table, a security label, author keys and quoting in array values. */
function samples(suffix: string): Resource[] {
  return [
    { resourceType: 'Patient', id: `pat-${suffix}`, name: [{ family: 'Dupont "le" \\ Grand', given: ['Anne'] }], birthDate: '1980-02-03', identifier: [{ system: 'urn:x', value: '1' }] },
    {
      resourceType: 'Observation', id: `obs-${suffix}`, status: 'final', code: { coding: [{ system: 'http://loinc.org', code: '718-7' }] },
      subject: { reference: `Patient/pat-${suffix}` }, effectiveDateTime: '2024-01-02T10:00:00Z', valueQuantity: { value: 13.2, unit: 'g/dL', system: 'http://unitsofmeasure.org', code: 'g/dL' },
    },
    {
      resourceType: 'DocumentReference', id: `doc-${suffix}`, status: 'current', subject: { reference: `Patient/pat-${suffix}` },
      securityLabel: [{ coding: [{ code: 'N' }, { code: 'MASQUE,"PS"' }] }], author: [{ reference: 'Practitioner/p1', identifier: { system: 'urn:rpps', value: '8' } }],
      content: [{ attachment: { url: `Binary/bin-${suffix}` } }],
    },
  ] as Resource[];
}

function rowOf(resource: Resource, lastUpdated: Date): BatchRow {
  const withMeta = { ...resource, meta: { versionId: '1', lastUpdated: lastUpdated.toISOString() } } as Resource;
  const index = computeIndexRows(withMeta);
  return { type: resource.resourceType, id: resource.id as string, versionId: 1, lastUpdated, columns: deriveColumns(withMeta, index), text: serialise(withMeta), index, replacing: false };
}

/** Every row written for a resource, without rid (assigned by the sequence). */
async function rowsOf(t: TestDb, id: string): Promise<unknown> {
  const one = async (table: string, columns: string, order: string): Promise<unknown[]> =>
    (await t.db.query(`SELECT ${columns} FROM ${table} WHERE rid = (SELECT rid FROM resource WHERE id = $1) ORDER BY ${order}`, [id])).rows;
  return {
    resource: (await t.db.query('SELECT type, version_id, last_updated, compartment, doc_id, security, authors, deleted, content, text FROM resource WHERE id = $1', [id])).rows,
    history: await one('resource_history', 'type, version_id, last_updated, compartment, deleted, content, text', 'version_id'),
    token: await one('idx_token', 'type, param, system, code, text', 'param, system, code'),
    string: await one('idx_string', 'type, param, value, norm', 'param, value'),
    date: await one('idx_date', 'type, param, low, high', 'param, low'),
    reference: await one('idx_reference', 'type, param, target_type, target_id', 'param, target_id'),
    quantity: await one('idx_quantity', 'type, param, value, system, code', 'param, value'),
  };
}

/** Replaces the suffix in ids so that rows of the two sets compare equal. */
const normalise = (rows: unknown, suffix: string): unknown => JSON.parse(JSON.stringify(rows).split(suffix).join('*'));

describe.each(availableDbKinds())('write-behind creates on %s', (kind) => {
  let t: TestDb;
  beforeAll(async () => {
    t = await createTestDb(kind);
  });
  afterAll(async () => {
    await t.drop();
  });

  it('writes the same current, history, index and payload rows in one statement as one statement per resource', async () => {
    const lastUpdated = new Date('2025-05-06T07:08:09.123Z');
    for (const resource of samples('single')) await t.db.query(buildWriteStatement(rowOf(resource, lastUpdated)));
    const rows = samples('batch').map((r) => rowOf(r, lastUpdated));
    rows.push({ ...rowOf({ resourceType: 'Binary', id: 'bin-batch', contentType: 'text/plain' } as Resource, lastUpdated), binary: { contentType: 'text/plain', data: Buffer.from([0, 1, 2, 255]) } });
    await t.db.query(buildBatchWriteStatement(rows));
    const observation = (await rowsOf(t, 'obs-batch')) as Record<string, unknown[]>;
    expect([observation.token.length, observation.date.length, observation.reference.length, observation.quantity.length].every((n) => n > 0)).toBe(true);
    for (const name of ['pat', 'obs', 'doc']) {
      expect(normalise(await rowsOf(t, `${name}-batch`), 'batch')).toEqual(normalise(await rowsOf(t, `${name}-single`), 'single'));
    }
    const { rows: binary } = await t.db.query<{ content_type: string; data: Uint8Array }>(sql`SELECT content_type, data FROM binary_data WHERE id = 'bin-batch'`);
    expect(binary[0].content_type).toBe('text/plain');
    expect([...binary[0].data]).toEqual([0, 1, 2, 255]);
  });

  it('lets every statement of the transaction, hooks included, see the creates queued before it', async () => {
    const seen: string[] = [];
    const hook = {
      async afterWrite(tx: WriteTransaction, _ctx: RequestContext, event: WriteEvent) {
        const { rows } = await tx.query<{ n: number }>(sql`SELECT count(*)::int AS n FROM resource WHERE type = ${event.resourceType} AND id = ${event.id}`);
        seen.push(`${event.resourceType}:${rows[0].n}`);
      },
    };
    const repo = new Repository(t.db, [hook]);
    await repo.transaction(async (tx) => {
      await tx.create(ctx, { resourceType: 'Patient' });
      await tx.create(ctx, { resourceType: 'Organization', name: 'Seen' });
    });
    expect(seen).toEqual(['Patient:1', 'Organization:1']);
  });

  it('runs a statement beside the queue without writing the queued creates first', async () => {
    const seen: number[] = [];
    const hook = {
      async afterWrite(tx: WriteTransaction, _ctx: RequestContext, event: WriteEvent) {
        const { rows } = await tx.queryBeside<{ n: number }>(sql`SELECT count(*)::int AS n FROM resource WHERE id = ${event.id}`);
        seen.push(rows[0].n);
      },
    };
    const repo = new Repository(t.db, [hook]);
    const id = await repo.transaction(async (tx) => (await tx.create(ctx, { resourceType: 'Organization', name: 'Queued' })).stored.id);
    expect(seen).toEqual([0]); // still queued when the statement ran beside it
    expect((await t.db.query<{ n: number }>(sql`SELECT count(*)::int AS n FROM resource WHERE id = ${id}`)).rows[0].n).toBe(1);
  });

  it('governs a Binary by its document whichever comes first in one transaction', async () => {
    const repo = new Repository(t.db);
    const ids = await repo.transaction(async (tx) => {
      const { stored: patient } = await tx.create(ctx, { resourceType: 'Patient' });
      const { stored: before } = await tx.create(ctx, { resourceType: 'Binary', contentType: 'text/plain' }, { binaryData: Buffer.from('a') });
      const { stored: doc } = await tx.create(ctx, {
        resourceType: 'DocumentReference', status: 'current', subject: { reference: `Patient/${patient.id}` }, content: [{ attachment: { url: `Binary/${before.id}` } }],
      } as Resource);
      const { stored: after } = await tx.create(ctx, { resourceType: 'Binary', contentType: 'text/plain', securityContext: { reference: `DocumentReference/${doc.id}` } } as Resource, { binaryData: Buffer.from('b') });
      return { patient: patient.id, before: before.id, after: after.id, doc: doc.id };
    });
    const { rows } = await t.db.query<{ id: string; compartment: string; doc_id: string }>(
      sql`SELECT id, compartment, doc_id FROM resource WHERE type = 'Binary' AND id = ANY(${[ids.before, ids.after]}::text[])`,
    );
    expect(rows.map((r) => [r.compartment, r.doc_id])).toEqual([
      [ids.patient, ids.doc],
      [ids.patient, ids.doc],
    ]);
    expect((await repo.readBinaryData(ctx, ids.after, 1))?.data.toString()).toBe('b');
  });
});
