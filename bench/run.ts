import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadDefinitions } from '../src/fhir/search-registry';
import { migrate } from '../src/store/migrate';
import { PgDb } from '../src/store/pg-db';
import { loadBenchConfig, type BenchConfig } from './bench-config';
import { createBenchDatabase, existingDatabase, type BenchDatabase } from './bench-database';
import { Dataset, type DatasetSize } from './dataset';
import { explainSearch } from './explain';
import { patientId, patientOfDocument } from './ids';
import { measureVariants } from './measure';
import { computeRatios, computeTargets, formatPhase, formatVerdict, type PhaseResult } from './report';
import { seedDataset } from './seed';
import { VARIANTS, findVariant } from './variants';
import { BASELINE_SEARCH_SQL } from './variants/baseline';

/**
 * `npm run bench`: seeds PostgreSQL, then measures every variant (bare baseline, our core …) with autocannon
 * against servers in child processes, prints req/s, latency, CPU per request, ratios and the issue-2 targets,
 * and writes bench/results/latest.json. Always exits 0 once measured: benchmarks inform, they are not tests.
 */

const log = (line: string): void => console.log(line);
const RESULTS = path.join(__dirname, 'results', 'latest.json');
const dropOnExit = new Set<BenchDatabase>();

/** BENCH_COMPARE: a p99 in ms, or a results JSON whose 10k-document core search p99 is used. */
function resolveCompare(raw: string | undefined): number | undefined {
  if (!raw) return undefined;
  if (/^\d+(\.\d+)?$/.test(raw)) return Number(raw);
  const earlier = JSON.parse(fs.readFileSync(raw, 'utf8')) as { phases: PhaseResult[] };
  const phase = earlier.phases.find((p) => p.size.documents === 10_000);
  const m = phase?.measurements.find((x) => x.variant === 'core' && x.scenario === 'search');
  if (!m) throw new Error(`BENCH_COMPARE=${raw}: no 10,000-document core search measurement in that file`);
  return m.load.p99;
}

async function prepareDatabase(config: BenchConfig, size: DatasetSize, main: boolean): Promise<{ database: BenchDatabase; reused: boolean; phase: Partial<PhaseResult> }> {
  const database = main && config.databaseUrl ? existingDatabase(config.databaseUrl) : await createBenchDatabase(config.adminUrl);
  if (database.created) dropOnExit.add(database);
  const db = new PgDb(database.url, config.seedConcurrency + 1);
  try {
    await migrate(db);
    const { rows } = await db.query<{ type: string; n: number }>(`SELECT type, count(*)::int AS n FROM resource WHERE type IN ('Patient', 'DocumentReference') GROUP BY type`);
    const count = (type: string): number => rows.find((r) => r.type === type)?.n ?? 0;
    const dataset = new Dataset(size);
    if (count('Patient') === 0 && count('DocumentReference') === 0) {
      log(`seeding ${size.patients.toLocaleString('en-US')} patients and ${size.documents.toLocaleString('en-US')} documents into ${new URL(database.url).pathname.slice(1)} …`);
      const seed = await seedDataset(db, dataset, { batchSize: config.seedBatch, concurrency: config.seedConcurrency, log });
      log(`  seeded in ${seed.totalSeconds.toFixed(1)} s (${Math.round(seed.resourcesPerSecond).toLocaleString('en-US')} resources/s overall)`);
      for (const variant of selectedVariants(config)) await variant.prepare?.(database.url, dataset);
      return { database, reused: false, phase: { seed } };
    }
    if (count('Patient') !== size.patients || count('DocumentReference') !== size.documents) {
      throw new Error(`DATABASE_URL holds ${count('Patient')} patients and ${count('DocumentReference')} documents, not the ${size.patients}/${size.documents} asked: use an empty database or matching PATIENTS/DOCS`);
    }
    log(`reusing the seeded database ${new URL(database.url).pathname.slice(1)}`);
    return { database, reused: true, phase: {} };
  } finally {
    await db.close();
  }
}

function selectedVariants(config: BenchConfig) {
  return config.variants ? config.variants.map(findVariant) : VARIANTS;
}

async function runPhase(config: BenchConfig, name: 'reference' | 'main', size: DatasetSize): Promise<PhaseResult> {
  const { database, reused, phase } = await prepareDatabase(config, size, name === 'main');
  try {
    const dataset = new Dataset(size);
    const withDocuments = patientId(patientOfDocument(size.documents - 1, size.patients));
    const db = new PgDb(database.url, 1);
    const explain = await explainSearch(db, withDocuments, BASELINE_SEARCH_SQL).finally(() => db.close());
    log(`measuring (${config.rounds} alternating rounds of ${config.warmupSeconds} s warm-up + ${config.seconds} s at ${config.connections} connections) …`);
    const monitor = new PgDb(database.url, 1);
    const backendPids = async (): Promise<number[]> =>
      (await monitor.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()')).rows.map((r) => r.pid);
    const { measurements, mismatches } = await measureVariants({
      databaseUrl: database.url, dataset, variants: selectedVariants(config),
      connections: config.connections, seconds: config.seconds, warmupSeconds: config.warmupSeconds, rounds: config.rounds, backendPids, log,
    }).finally(() => monitor.close());
    const result: PhaseResult = { name, size, databaseReused: reused, seed: phase.seed, measurements, mismatches, explain };
    log(formatPhase(result));
    return result;
  } finally {
    if (database.created && !(config.keep && name === 'main')) {
      await database.drop();
      dropOnExit.delete(database);
    } else if (database.created) {
      dropOnExit.delete(database);
      log(`kept the database: rerun with DATABASE_URL=${database.url} PATIENTS=${size.patients} DOCS=${size.documents}`);
    }
  }
}

async function main(): Promise<void> {
  const config = loadBenchConfig(process.env, resolveCompare(process.env.BENCH_COMPARE));
  loadDefinitions();
  const startedAt = new Date();
  const cpus = os.cpus();
  log(`bench: ${cpus.length} cores (${cpus[0]?.model.trim()}), load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}, Node ${process.version}`);
  log('  the load generator (this process), each server (its own child process) and PostgreSQL share these cores;');
  log('  other work on the machine shows up in the figures: compare ratios taken in the same run.');
  const phases: PhaseResult[] = [];
  if (config.reference) phases.push(await runPhase(config, 'reference', config.reference));
  const main = await runPhase(config, 'main', config.main);
  phases.push(main);
  const referenceP99 = config.compareP99 ?? (config.reference ? phases[0].measurements.find((m) => m.variant === 'core' && m.scenario === 'search')?.load.p99 : undefined);
  const baseline = selectedVariants(config)[0].name;
  const ratios = computeRatios(main, baseline);
  const targets = computeTargets(main, main.size.documents > 10_000 ? referenceP99 : undefined, ratios);
  log(formatVerdict(ratios, targets));
  const plan = main.explain?.core[0];
  if (plan) log(`\n== EXPLAIN ANALYZE of the core search page query (main data set)\n${plan.plan}`);
  const results = {
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    machine: { cores: cpus.length, model: cpus[0]?.model.trim(), loadAverageAtStart: os.loadavg(), node: process.version },
    settings: { ...config, databaseUrl: config.databaseUrl ? '(given)' : undefined },
    referenceSearchP99: referenceP99,
    phases,
    ratios,
    targets,
  };
  fs.mkdirSync(path.dirname(RESULTS), { recursive: true });
  fs.writeFileSync(RESULTS, `${JSON.stringify(results, null, 2)}\n`);
  log(`\nresults written to ${path.relative(process.cwd(), RESULTS)}`);
}

async function cleanup(): Promise<void> {
  for (const database of dropOnExit) await database.drop().catch(() => undefined);
}

process.once('SIGINT', () => {
  void cleanup().finally(() => process.exit(130));
});

main().then(
  () => process.exit(0),
  async (err: unknown) => {
    console.error(err);
    await cleanup();
    process.exit(1);
  },
);
