import type { Resource } from '@medplum/fhirtypes';
import { Dataset } from '../../bench/dataset';
import { seedDataset, type SeedReport } from '../../bench/seed';
import { patientId, patientOfDocument } from '../../bench/ids';
import type { RequestContext } from '../../src/fhir/context';
import { loadDefinitions } from '../../src/fhir/search-registry';
import { parseSearch } from '../../src/fhir/search/parse';
import { deriveColumns } from '../../src/store/derived-columns';
import { computeIndexRows } from '../../src/store/indexer';
import { executeSearch } from '../../src/store/search-executor';
import { TRUE } from '../../src/store/sql';
import { buildWriteStatement } from '../../src/store/write-sql';
import type { Db } from '../../src/store/db';
import { availableDbKinds, createTestDb, type TestDb } from '../support/test-db';
import { RequestState } from '../../src/fhir/request-state';

const SIZE = { patients: 40, documents: 300 };
const ctx: RequestContext = { requestId: 'bench-test', access: TRUE, state: new RequestState() };

const TABLE_DUMPS: Record<string, string> = {
  resource: `SELECT type, id, version_id, last_updated, compartment, doc_id, security, authors, deleted, content, text FROM resource ORDER BY type, id`,
  resource_history: `SELECT type, id, version_id, last_updated, compartment, deleted, content, text FROM resource_history ORDER BY type, id`,
  idx_token: `SELECT r.type, r.id, x.type AS xt, x.param, x.system, x.code, x.text FROM idx_token x JOIN resource r USING (rid) ORDER BY 1, 2, 4, 5, 6`,
  idx_string: `SELECT r.type, r.id, x.type AS xt, x.param, x.value, x.norm FROM idx_string x JOIN resource r USING (rid) ORDER BY 1, 2, 4, 5`,
  idx_date: `SELECT r.type, r.id, x.type AS xt, x.param, x.low, x.high FROM idx_date x JOIN resource r USING (rid) ORDER BY 1, 2, 4, 5`,
  idx_reference: `SELECT r.type, r.id, x.type AS xt, x.param, x.target_type, x.target_id FROM idx_reference x JOIN resource r USING (rid) ORDER BY 1, 2, 4, 5, 6`,
  idx_quantity: `SELECT r.type, r.id, x.type AS xt, x.param, x.value FROM idx_quantity x JOIN resource r USING (rid) ORDER BY 1, 2, 4, 5`,
};

const indexNames = async (db: Db): Promise<string[]> =>
  (await db.query<{ indexname: string }>(`SELECT indexname FROM pg_indexes WHERE schemaname = 'public' ORDER BY 1`)).rows.map((r) => r.indexname);

describe.each(availableDbKinds())('bench seeding on %s', (kind) => {
  let seeded: TestDb;
  let reference: TestDb;
  let report: SeedReport;
  let indexesBefore: string[];

  beforeAll(async () => {
    loadDefinitions();
    seeded = await createTestDb(kind);
    reference = await createTestDb(kind);
    indexesBefore = await indexNames(seeded.db);
    report = await seedDataset(seeded.db, new Dataset(SIZE), { batchSize: 64 });
    // The reference database receives the same resources through the server's own write statement.
    const { rows } = await seeded.db.query<{ text: string }>('SELECT text FROM resource ORDER BY rid');
    for (const { text } of rows) {
      const resource = JSON.parse(text) as Resource;
      const index = computeIndexRows(resource);
      await reference.db.query(buildWriteStatement({
        type: resource.resourceType, id: resource.id as string, versionId: 1, lastUpdated: new Date(resource.meta?.lastUpdated as string),
        columns: deriveColumns(resource, index), text, index, replacing: false,
      }));
    }
  }, 120_000);

  afterAll(async () => {
    await seeded?.drop();
    await reference?.drop();
  });

  it('writes every practitioner, patient and document and reports a rate', async () => {
    const { rows } = await seeded.db.query<{ type: string; n: number }>('SELECT type, count(*)::int AS n FROM resource GROUP BY type ORDER BY type');
    expect(rows).toEqual([{ type: 'DocumentReference', n: 300 }, { type: 'Patient', n: 40 }, { type: 'Practitioner', n: 10 }]);
    expect(report.phases.map((p) => p.kind)).toEqual(['Practitioner', 'Patient', 'DocumentReference']);
    expect(report.phases[2].indexRows).toBeGreaterThan(300 * 10);
    expect(report.resourcesPerSecond).toBeGreaterThan(0);
  });

  it.each(Object.keys(TABLE_DUMPS))('fills %s exactly as the server write statement does', async (table) => {
    const a = await seeded.db.query(TABLE_DUMPS[table]);
    const b = await reference.db.query(TABLE_DUMPS[table]);
    // The data set has no quantity parameters, and creates replace no version: those tables stay empty on both sides.
    if (table !== 'idx_quantity' && table !== 'resource_history') expect(a.rows.length).toBeGreaterThan(0);
    expect(a.rows).toEqual(b.rows);
  });

  it('rebuilds every index it dropped for the bulk load', async () => {
    expect(await indexNames(seeded.db)).toEqual(indexesBefore);
  });

  it('leaves the rid sequence past the seeded rows', async () => {
    const { rows } = await seeded.db.query<{ next: number; max: number }>(`SELECT nextval('resource_rid_seq')::int AS next, (SELECT max(rid)::int FROM resource) AS max`);
    expect(rows[0].next).toBeGreaterThan(rows[0].max);
  });

  it("finds a patient's documents through the core search", async () => {
    const patient = 7;
    const expected = Array.from({ length: SIZE.documents }, (_, n) => n).filter((n) => patientOfDocument(n, SIZE.patients) === patient).length;
    const request = parseSearch('DocumentReference', [['patient', patientId(patient)], ['_count', '20']], true);
    const result = await executeSearch(seeded.db, ctx, request);
    expect(expected).toBeGreaterThan(0);
    expect(result.matches).toHaveLength(Math.min(20, expected));
    expect(result.matches.every((m) => JSON.parse(m.text as string).subject.reference === `Patient/${patientId(patient)}`)).toBe(true);
  });

  it('refuses to seed a database that already holds resources', async () => {
    await expect(seedDataset(seeded.db, new Dataset(SIZE))).rejects.toThrow(/empty database/);
  });
});
