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
import { measureTargets, type Measurement, type MeasureOptions, type MeasureTarget } from './measure';
import { computeRatios, computeTargets, formatGrowth, formatPhase, formatVerdict, type P99Growth, type PhaseResult } from './report';
import { computeRoundRatios, formatRoundRatios } from './round-ratios';
import { seedDataset, type SeedReport } from './seed';
import { VARIANTS, findVariant } from './variants';
import { BASELINE_SEARCH_SQL } from './variants/baseline';
import type { BenchVariant } from './variants/variant';

/**
 * `npm run bench`: seeds PostgreSQL, then measures every variant (bare baseline, our core …) with autocannon
 * against servers in child processes, prints req/s, latency, CPU per request, ratios and the issue-2 targets,
 * and writes bench/results/. Always exits 0 once measured: benchmarks inform, they are not tests.
 */

const log = (line: string): void => console.log(line);
const RESULTS = path.join(__dirname, 'results', 'latest.json');
const toDrop = new Set<BenchDatabase>();
const monitors: PgDb[] = [];

/** BENCH_COMPARE: a p99 in ms, or a results JSON whose 10k-document search p99 (production's, else the core's) is used. */
function resolveCompare(raw: string | undefined): number | undefined {
  if (!raw) return undefined;
  if (/^\d+(\.\d+)?$/.test(raw)) return Number(raw);
  const earlier = JSON.parse(fs.readFileSync(raw, 'utf8')) as { phases: PhaseResult[]; growth?: Measurement[] };
  const fromGrowth = earlier.growth?.find((m) => m.variant === 'production@10k') ?? earlier.growth?.find((m) => m.variant === 'core@10k');
  const phase = earlier.phases.find((p) => p.size.documents === 10_000);
  const m = fromGrowth ?? phase?.measurements.find((x) => x.variant === 'core' && x.scenario === 'search');
  if (!m) throw new Error(`BENCH_COMPARE=${raw}: no 10,000-document core search measurement in that file`);
  return m.load.p99;
}

function selectedVariants(config: BenchConfig): BenchVariant[] {
  return config.variants ? config.variants.map(findVariant) : VARIANTS;
}

interface Prepared { database: BenchDatabase; dataset: Dataset; reused: boolean; seed?: SeedReport }

/** A fresh seeded database, or DATABASE_URL (seeded when empty, reused when it holds exactly this data set). */
async function prepareDatabase(config: BenchConfig, size: DatasetSize, main: boolean): Promise<Prepared> {
  const database = main && config.databaseUrl ? existingDatabase(config.databaseUrl) : await createBenchDatabase(config.adminUrl);
  if (database.created && !(config.keep && main)) toDrop.add(database);
  const db = new PgDb(database.url, config.seedConcurrency + 1);
  const dataset = new Dataset(size);
  try {
    await migrate(db);
    const { rows } = await db.query<{ type: string; n: number }>(`SELECT type, count(*)::int AS n FROM resource WHERE type IN ('Patient', 'DocumentReference') GROUP BY type`);
    const count = (type: string): number => rows.find((r) => r.type === type)?.n ?? 0;
    const name = new URL(database.url).pathname.slice(1);
    if (count('Patient') === 0 && count('DocumentReference') === 0) {
      log(`seeding ${size.patients.toLocaleString('en-US')} patients and ${size.documents.toLocaleString('en-US')} documents into ${name} …`);
      const seed = await seedDataset(db, dataset, { batchSize: config.seedBatch, concurrency: config.seedConcurrency, log });
      log(`  seeded in ${seed.totalSeconds.toFixed(1)} s (${Math.round(seed.resourcesPerSecond).toLocaleString('en-US')} resources/s overall)`);
      for (const variant of selectedVariants(config)) await variant.prepare?.(database.url, dataset);
      return { database, dataset, reused: false, seed };
    }
    if (count('Patient') !== size.patients || count('DocumentReference') !== size.documents) {
      throw new Error(`DATABASE_URL holds ${count('Patient')} patients and ${count('DocumentReference')} documents, not the ${size.patients}/${size.documents} asked: use an empty database or matching PATIENTS/DOCS`);
    }
    log(`reusing the seeded database ${name}`);
    // Variants' own preparations are idempotent, and a variant added since the seeding needs its own.
    for (const variant of selectedVariants(config)) await variant.prepare?.(database.url, dataset);
    return { database, dataset, reused: true };
  } finally {
    await db.close();
  }
}

function target(label: string, variant: BenchVariant, prepared: Prepared): MeasureTarget {
  const monitor = new PgDb(prepared.database.url, 1);
  monitors.push(monitor);
  const backendPids = async (): Promise<number[]> =>
    (await monitor.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()')).rows.map((r) => r.pid);
  return { label, variant, databaseUrl: prepared.database.url, dataset: prepared.dataset, backendPids };
}

async function explainMain(prepared: Prepared): Promise<PhaseResult['explain']> {
  const { size } = prepared.dataset;
  const db = new PgDb(prepared.database.url, 1);
  return explainSearch(db, patientId(patientOfDocument(size.documents - 1, size.patients)), BASELINE_SEARCH_SQL).finally(() => db.close());
}

const sizeLabel = (documents: number): string => (documents % 1_000_000 === 0 ? `${documents / 1_000_000}M` : `${Math.round(documents / 1000)}k`);

async function main(): Promise<void> {
  const config = loadBenchConfig(process.env, resolveCompare(process.env.BENCH_COMPARE));
  loadDefinitions();
  const startedAt = new Date();
  const cpus = os.cpus();
  log(`bench: ${cpus.length} cores (${cpus[0]?.model.trim()}), load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}, Node ${process.version}`);
  log('  the load generator (this process), each server (its own child process) and PostgreSQL share these cores;');
  log('  other work on the machine shows up in the figures: compare ratios taken in the same run.');
  const measure: Omit<MeasureOptions, 'targets' | 'scenarios' | 'compareAnswers'> = {
    connections: config.connections, seconds: config.seconds, warmupSeconds: config.warmupSeconds, rounds: config.rounds, log,
  };
  const phases: PhaseResult[] = [];
  const reference = config.reference ? await prepareDatabase(config, config.reference, false) : undefined;
  if (reference) phases.push({ name: 'reference', size: reference.dataset.size, databaseReused: false, seed: reference.seed, measurements: [], mismatches: [] });
  const main = await prepareDatabase(config, config.main, true);
  const variants = selectedVariants(config);
  log(`measuring ${variants.map((v) => v.name).join(', ')} (${config.rounds} alternating rounds of ${config.warmupSeconds} s warm-up + ${config.seconds} s at ${config.connections} connections) …`);
  const explain = await explainMain(main);
  const measured = await measureTargets({ ...measure, targets: variants.map((v) => target(v.name, v, main)), scenarios: ['read', 'search'], compareAnswers: true });
  const mainPhase: PhaseResult = { name: 'main', size: config.main, databaseReused: main.reused, seed: main.seed, ...measured, explain };
  phases.push(mainPhase);
  for (const phase of phases) log(formatPhase(phase));
  let growth: Measurement[] | undefined;
  // The p99 growth is read from what ships (`production`) when it is measured, else from the core.
  const grower = variants.some((v) => v.name === 'production') ? findVariant('production') : findVariant('core');
  const p99: P99Growth = { main: mainPhase.measurements.find((m) => m.variant === grower.name && m.scenario === 'search')?.load.p99, reference: config.compareP99 };
  if (reference) {
    // The p99 comparison alternates the two databases under the same machine load, round after round.
    log(`\nmeasuring the ${grower.name} search on both databases (${config.rounds} alternating rounds) …`);
    const labels = [`${grower.name}@${sizeLabel(reference.dataset.size.documents)}`, `${grower.name}@${sizeLabel(config.main.documents)}`];
    growth = (await measureTargets({ ...measure, targets: [target(labels[0], grower, reference), target(labels[1], grower, main)], scenarios: ['search'], compareAnswers: false })).measurements;
    p99.reference = growth.find((m) => m.variant === labels[0])?.load.p99;
    p99.main = growth.find((m) => m.variant === labels[1])?.load.p99;
    log(formatGrowth(growth));
  }
  const ratios = computeRatios(mainPhase, variants[0].name);
  const targets = computeTargets(mainPhase, config.main.documents > 10_000 ? p99 : {}, ratios);
  log(formatVerdict(ratios, targets));
  const roundRatios = computeRoundRatios(mainPhase, variants[0].name);
  log(formatRoundRatios(roundRatios));
  if (explain) log(`\n== EXPLAIN ANALYZE of the core search page query (main data set)\n${explain.core[0]?.plan}`);
  if (config.keep && main.database.created) log(`\nkept the database: rerun with DATABASE_URL=${main.database.url} PATIENTS=${config.main.patients} DOCS=${config.main.documents}`);
  const results = {
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    machine: { cores: cpus.length, model: cpus[0]?.model.trim(), loadAverageAtStart: os.loadavg(), node: process.version },
    settings: { ...config, databaseUrl: config.databaseUrl ? '(given)' : undefined },
    p99,
    phases,
    growth,
    ratios,
    roundRatios,
    targets,
  };
  // A copy named for this run as well: several people may run the bench on one machine.
  const named = path.join(path.dirname(RESULTS), `${startedAt.toISOString().replace(/[:.]/g, '-')}-${process.pid}.json`);
  fs.mkdirSync(path.dirname(RESULTS), { recursive: true });
  for (const file of [named, RESULTS]) fs.writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
  log(`\nresults written to ${path.relative(process.cwd(), named)} and ${path.relative(process.cwd(), RESULTS)}`);
}

async function cleanup(): Promise<void> {
  for (const monitor of monitors.splice(0)) await monitor.close().catch(() => undefined);
  for (const database of toDrop) await database.drop().catch(() => undefined);
  toDrop.clear();
}

process.once('SIGINT', () => {
  void cleanup().finally(() => process.exit(130));
});

main().then(
  async () => {
    await cleanup();
    process.exit(0);
  },
  async (err: unknown) => {
    console.error(err);
    await cleanup();
    process.exit(1);
  },
);
