import { planCdaImport } from '../../../src/cda';
import type { CdaPlanner } from '../../../src/cda/plan-workers';
import { importOperations } from '../../../src/documents/import-operation';
import { documentsWiring } from '../../../src/documents/wiring';
import { raw } from '../../../src/kernel/sql';
import { createLogger } from '../../../src/logger';
import { createTestApp, type TestApp } from '../../support/test-app';
import { createMarchalPatient, fixture, importCda, MARCHAL_DOCUMENTS } from './documents-app';

// `$import` writes the document's Binary from the bytes it received, not from a base64 copy inside the plan
// (`documentBytesApart`): what is stored must be exactly what the base64 path stored, row for row.

/** The planner of before: the document's Binary carries its bytes as base64 `data`, checked and decoded on write. */
const base64Planner: CdaPlanner = async (bytes, options) => planCdaImport(bytes, { maxBytes: options.maxBytes });

async function documentsApp(planner?: CdaPlanner): Promise<TestApp> {
  const base = await createTestApp(); // only for its config
  await base.close();
  const wiring = await documentsWiring({ config: base.config, db: undefined as never, logger: createLogger('silent'), env: {} });
  const operations = planner ? importOperations({ maxCdaSize: base.config.maxCdaSize, planner }) : (wiring.operations ?? []);
  const app = await createTestApp({ hooks: wiring.hooks ?? [], operations });
  wiring.start?.(app.service);
  return app;
}

const TABLES = ['resource', 'resource_history', 'idx_token', 'idx_string', 'idx_date', 'idx_reference', 'idx_quantity', 'binary_data', 'document_intake', 'document_master', 'access_writer'];
const TIME = /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)?/g;
const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;

/** Every row the imports wrote, with server ids named by their order of writing and times blanked, sorted. */
async function rowsOf(app: TestApp): Promise<string[]> {
  const { rows: ids } = await app.testDb.db.query<{ id: string }>(raw('SELECT id FROM resource ORDER BY rid'));
  const names = new Map(ids.map((r, n) => [r.id, `<resource ${n}>`]));
  const all: string[] = [];
  for (const table of TABLES) {
    const { rows: exists } = await app.testDb.db.query<{ n: number }>(raw(`SELECT count(*)::int AS n FROM information_schema.tables WHERE table_name = '${table}'`));
    if (!exists[0].n) continue;
    const owner = ['resource', 'resource_history', 'binary_data', 'document_intake', 'document_master', 'access_writer'].includes(table) ? "''" : "(SELECT r.type || '/' || r.id FROM resource r WHERE r.rid = t.rid)";
    const { rows } = await app.testDb.db.query<{ row: string }>(raw(`SELECT ((to_jsonb(t) - 'rid') || jsonb_build_object('of', ${owner}))::text AS row FROM ${table} t`));
    for (const { row } of rows) all.push(`${table} ${row.replace(UUID, (id) => names.get(id) ?? '<uuid>').replace(TIME, '<time>')}`);
  }
  return all.sort();
}

describe('$import writes the received bytes of the document, not a base64 copy', () => {
  let apart: TestApp;
  let inline: TestApp;
  beforeAll(async () => {
    apart = await documentsApp();
    inline = await documentsApp(base64Planner);
    await createMarchalPatient(apart);
    await createMarchalPatient(inline);
  });
  afterAll(async () => {
    await apart.close();
    await inline.close();
  });

  it('stores the same rows as when the Binary carried its bytes as base64, for every fixture', async () => {
    for (const file of MARCHAL_DOCUMENTS) {
      const bytes = fixture(`cda/${file}`);
      const [a, b] = [await importCda(apart, bytes), await importCda(inline, bytes)];
      expect([a.status, b.status]).toEqual([201, 201]);
    }
    const [a, b] = [await rowsOf(apart), await rowsOf(inline)];
    expect(a.filter((row) => row.startsWith('binary_data ')).length).toBe(MARCHAL_DOCUMENTS.length + 1); // + the level-1 PDF
    expect(a).toEqual(b);
  });

  it('plans the Binary of the document without data when asked, and names it', () => {
    const bytes = fixture(`cda/${MARCHAL_DOCUMENTS[0]}`);
    const plan = planCdaImport(bytes, { documentBytesApart: true });
    const binary = plan.bundle.entry?.find((e) => e.fullUrl === plan.documentBinaryUrl)?.resource;
    expect(binary).toMatchObject({ resourceType: 'Binary', contentType: 'text/xml' });
    expect(binary).not.toHaveProperty('data');
    const full = planCdaImport(bytes).bundle.entry?.find((e) => e.fullUrl === plan.documentBinaryUrl)?.resource;
    expect(full).toHaveProperty('data', bytes.toString('base64'));
  });
});
