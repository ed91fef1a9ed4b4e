import { planCdaImport } from '../src/cda';
import { migrate } from '../src/store/migrate';
import { PgDb } from '../src/store/pg-db';
import { createBenchDatabase, existingDatabase, type BenchDatabase } from './bench-database';
import { cpuBetween, machineBusyMicros, processMicros, threadMicros, threadsBetween } from './cpu';
import { importAll } from './import-client';
import { startServerProcess, type ServerProcess } from './server-process';
import { generateLabReports } from './import-corpus';
import { openImportCaller, productionImportCaller, type ImportCaller } from './import-records';

/**
 * `npm run bench:import`: generates ~50 KB CR-BIO lab reports, measures in the same run (1) parse + map only
 * (`planCdaImport`, one core) and (2) import over HTTP (`POST /fhir/DocumentReference/$import`) into PostgreSQL
 * — DATABASE_URL, or a fresh database created on BENCH_ADMIN_URL (default postgres://postgres@127.0.0.1:5432/test)
 * and dropped afterwards — by a variant's server in its own process: `production` (default: `npm start`'s composition,
 * a lab's system token) or `documents` (core app + documents wiring, open access), BENCH_IMPORT_VARIANT. Prints
 * documents/s, MB/s and the ratio.
 * BENCH_IMPORT_DOCS (default 400), BENCH_IMPORT_CONCURRENCY (default 8). Targets: ≥ 100 documents/s, ratio ≥ 0.25.
 */
const log = (line: string): void => console.log(line);

function parseOnly(docs: Buffer[]): number {
  const started = process.hrtime.bigint();
  for (const doc of docs) planCdaImport(doc);
  return Number(process.hrtime.bigint() - started) / 1e9;
}

const PATIENTS = 20;

async function main(): Promise<void> {
  const count = Number(process.env.BENCH_IMPORT_DOCS ?? 400);
  const concurrency = Number(process.env.BENCH_IMPORT_CONCURRENCY ?? 8);
  const run = String(Date.now() % 1e9);
  const docs = generateLabReports(count, { run, patients: PATIENTS });
  const warmup = generateLabReports(Number(process.env.BENCH_IMPORT_WARMUP ?? 200), { run: `${run}0`, patients: PATIENTS });
  const megabytes = docs.reduce((n, d) => n + d.length, 0) / 1024 / 1024;
  log(`corpus: ${count} lab reports, ${(megabytes * 1024 / count).toFixed(1)} KB average, ${megabytes.toFixed(1)} MB`);

  parseOnly(warmup);
  // Parse-only runs right before and right after the import, and the ratio uses the mean of both: this machine's
  // speed drifts by up to a third within a minute, and one measurement taken before setting up the server skewed it.
  const parseSeconds = [parseOnly(docs)];
  log(`parse + map only (before the import): ${(count / parseSeconds[0]).toFixed(1)} documents/s, ${(megabytes / parseSeconds[0]).toFixed(2)} MB/s`);

  const database: BenchDatabase = process.env.DATABASE_URL
    ? existingDatabase(process.env.DATABASE_URL)
    : await createBenchDatabase(process.env.BENCH_ADMIN_URL || `postgres://postgres@127.0.0.1:5432/test`);
  const db = new PgDb(database.url, 2);
  let server: ServerProcess | undefined;
  try {
    await migrate(db);
    // Issue 14, "the benchmark measures what ships": production by default; `documents` (no access, audit or notices) to compare.
    const variant = process.env.BENCH_IMPORT_VARIANT ?? 'production';
    if (variant !== 'production' && variant !== 'documents') throw new Error(`BENCH_IMPORT_VARIANT must be production or documents, not ${variant}`);
    const caller: ImportCaller = variant === 'production' ? await productionImportCaller() : openImportCaller;
    log(`server: the ${variant} variant`);
    server = await startServerProcess(variant, database.url);
    const url = `${server.url}/fhir/DocumentReference/$import`;
    await caller.openRecords(`${server.url}/fhir`, PATIENTS);
    // The warm-up creates the practitioner and organisation, opens the pool and lets V8 optimise the hot code: with
    // 20 documents, optimising compilations still ran during the measured import, ~1 ms of CPU per document on V8's
    // threads that a server running for more than a minute no longer pays.
    await importAll(url, warmup, concurrency, caller.headers).catch((err: Error) => {
      throw new Error(`warm-up: ${err.message}`);
    });
    const backends = (await db.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()')).rows.map((r) => r.pid);
    const walBefore = (await db.query<{ lsn: string }>('SELECT pg_current_wal_lsn()::text AS lsn')).rows[0].lsn;
    const clientBefore = process.cpuUsage();
    const before = { server: await server.cpuMicros(), threads: threadMicros(server.pid), pg: processMicros(backends), machine: machineBusyMicros() };
    const { seconds } = await importAll(url, docs, concurrency, caller.headers);
    const perDoc = (micros: number): string => `${(micros / count / 1000).toFixed(1)} ms`;
    const cpu = {
      server: perDoc((await server.cpuMicros()) - before.server),
      threads: threadsBetween(server.pid, before.threads, threadMicros(server.pid)).slice(0, Number(process.env.BENCH_THREADS ?? 4)).map(([name, micros]) => `${name} ${perDoc(micros)}`).join(', '),
      pg: perDoc(cpuBetween(before.pg, processMicros(backends))),
      machine: perDoc(machineBusyMicros() - before.machine),
      client: perDoc(((u) => u.user + u.system)(process.cpuUsage(clientBefore))),
    };
    const wal = (await db.query<{ bytes: string }>(`SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '${walBefore}')::bigint::text AS bytes`)).rows[0].bytes;
    const rate = count / seconds;
    log(`import over HTTP (PostgreSQL, ${concurrency} in flight): ${rate.toFixed(1)} documents/s, ${(megabytes / seconds).toFixed(2)} MB/s, all ${count} answered 201`);
    log(`CPU per document: server process ${cpu.server} (busiest threads: ${cpu.threads}), PostgreSQL backends ${cpu.pg}, this benchmark's client ${cpu.client}, whole machine ${cpu.machine}`);
    log(`WAL per document: ${(Number(wal) / count / 1024).toFixed(0)} KB`);
    parseSeconds.push(parseOnly(docs));
    const parseRate = (2 * count) / (parseSeconds[0] + parseSeconds[1]);
    log(`parse + map only (after the import): ${(count / parseSeconds[1]).toFixed(1)} documents/s; mean ${parseRate.toFixed(1)} documents/s`);
    log(`ratio import / parse-only: ${(rate / parseRate).toFixed(2)}`);
    log(`targets: documents/s ≥ 100: ${rate >= 100 ? 'met' : 'NOT met'}; ratio ≥ 0.25: ${rate / parseRate >= 0.25 ? 'met' : 'NOT met'}`);
  } finally {
    await server?.stop();
    await db.close();
    await database.drop();
  }
}

main().catch((err: Error) => {
  console.error(`bench:import FAILED, nothing measured is valid: ${err.message}`);
  process.exitCode = 1;
});
