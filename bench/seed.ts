import type { Db } from '../src/store/db';
import { buildBatchInsert, indexRowCount, type BatchRow } from './batch-insert';
import type { Dataset, DatasetRow } from './dataset';

/** Tables whose secondary indexes are dropped during the bulk load and rebuilt after it. */
const BULK_TABLES = ['resource', 'resource_history', 'idx_token', 'idx_string', 'idx_date', 'idx_reference', 'idx_quantity'];

export interface SeedPhase {
  kind: string;
  rows: number;
  indexRows: number;
  seconds: number;
  rowsPerSecond: number;
}

export interface SeedReport {
  phases: SeedPhase[];
  indexBuildSeconds: number;
  analyzeSeconds: number;
  totalSeconds: number;
  /** Resources (all kinds) per second over the whole seed, index build and ANALYZE included. */
  resourcesPerSecond: number;
}

export interface SeedOptions {
  batchSize?: number;
  /** Batches in flight at once: one is built in JS while the database writes another. */
  concurrency?: number;
  log?: (line: string) => void;
}

interface SecondaryIndex { name: string; def: string }

/** The non-constraint indexes of the bulk tables, as `CREATE INDEX` statements. */
async function secondaryIndexes(db: Db): Promise<SecondaryIndex[]> {
  const { rows } = await db.query<SecondaryIndex>(
    `SELECT i.indexrelid::regclass::text AS name, pg_get_indexdef(i.indexrelid) AS def
       FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid
      WHERE c.relname = ANY($1::text[]) AND c.relnamespace = 'public'::regnamespace
        AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)`,
    [BULK_TABLES],
  );
  return rows;
}

async function runPool<T>(items: T[], concurrency: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) await fn(items[next++]);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
}

const seconds = (start: bigint): number => Number(process.hrtime.bigint() - start) / 1e9;

/**
 * Seeds an EMPTY migrated database with a data set: Practitioners, Patients, then DocumentReferences, in
 * batches of one statement each (current + history + index rows), with secondary indexes rebuilt once at the
 * end, then ANALYZE.
 */
export async function seedDataset(db: Db, dataset: Dataset, options: SeedOptions = {}): Promise<SeedReport> {
  const batchSize = options.batchSize ?? 2000;
  const concurrency = options.concurrency ?? 2;
  const log = options.log ?? (() => undefined);
  const existing = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM resource');
  if (existing.rows[0].n > 0) throw new Error('The bench seeds an empty database only');
  const started = process.hrtime.bigint();
  const indexes = await secondaryIndexes(db);
  for (const index of indexes) await db.query(`DROP INDEX ${index.name}`);
  const phases: SeedPhase[] = [];
  let nextRid = 1;
  const kinds: [string, number, (n: number) => DatasetRow][] = [
    ['Practitioner', dataset.practitioners, (n) => dataset.practitioner(n)],
    ['Patient', dataset.size.patients, (n) => dataset.patient(n)],
    ['DocumentReference', dataset.size.documents, (n) => dataset.document(n)],
  ];
  for (const [kind, count, rowOf] of kinds) {
    const phaseStart = process.hrtime.bigint();
    const firstRid = nextRid;
    nextRid += count;
    const starts = Array.from({ length: Math.ceil(count / batchSize) }, (_, i) => i * batchSize);
    let done = 0;
    let indexRows = 0;
    let lastLog = Date.now();
    await runPool(starts, concurrency, async (start) => {
      const batch: BatchRow[] = [];
      for (let n = start; n < Math.min(count, start + batchSize); n++) {
        const row = rowOf(n);
        batch.push({ rid: firstRid + n, id: row.id, row: row.template.fill(row.values) });
      }
      indexRows += indexRowCount(batch);
      const statement = buildBatchInsert(kind, batch);
      await db.transaction(async (tx) => {
        await tx.query('SET LOCAL synchronous_commit = off');
        await tx.query(statement);
      });
      done += batch.length;
      if (Date.now() - lastLog > 15_000) {
        lastLog = Date.now();
        log(`  ${kind}: ${done.toLocaleString('en-US')}/${count.toLocaleString('en-US')} (${Math.round(done / seconds(phaseStart)).toLocaleString('en-US')}/s)`);
      }
    });
    const s = seconds(phaseStart);
    phases.push({ kind, rows: count, indexRows, seconds: s, rowsPerSecond: count / s });
    log(`  ${kind}: ${count.toLocaleString('en-US')} rows, ${indexRows.toLocaleString('en-US')} index rows in ${s.toFixed(1)} s (${Math.round(count / s).toLocaleString('en-US')} rows/s)`);
  }
  await db.query(`SELECT setval('resource_rid_seq', ${nextRid - 1})`);
  const indexStart = process.hrtime.bigint();
  await runPool(indexes, concurrency, async (index) => {
    await db.transaction(async (tx) => {
      await tx.query(`SET LOCAL maintenance_work_mem = '256MB'`);
      await tx.query(index.def);
    });
  });
  const indexBuildSeconds = seconds(indexStart);
  log(`  rebuilt ${indexes.length} secondary indexes in ${indexBuildSeconds.toFixed(1)} s`);
  const analyzeStart = process.hrtime.bigint();
  await db.query('ANALYZE');
  const analyzeSeconds = seconds(analyzeStart);
  const totalSeconds = seconds(started);
  const total = phases.reduce((a, p) => a + p.rows, 0);
  return { phases, indexBuildSeconds, analyzeSeconds, totalSeconds, resourcesPerSecond: total / totalSeconds };
}
