/** Benchmark settings, from the environment (documented in bench/README.md). */
export interface BenchConfig {
  /** The data set measured against the targets. */
  main: { patients: number; documents: number };
  /** The small data set whose search p99 the main one is compared with; undefined when not run. */
  reference?: { patients: number; documents: number };
  /** Search p99 (ms) of an earlier 10k-document run, instead of running the reference phase. */
  compareP99?: number;
  databaseUrl?: string;
  adminUrl: string;
  keep: boolean;
  variants?: string[];
  connections: number;
  seconds: number;
  warmupSeconds: number;
  /** Alternating rounds per scenario; the best is kept. */
  rounds: number;
  seedBatch: number;
  seedConcurrency: number;
}

const REFERENCE = { patients: 1000, documents: 10_000 };

function positiveInt(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw.replace(/[_,]/g, ''));
  if (!Number.isInteger(n) || n < 1) throw new Error(`${name}=${raw}: expected a positive integer`);
  return n;
}

/** Reads the settings; `compare` is BENCH_COMPARE already resolved to a p99 in ms (see run.ts). */
export function loadBenchConfig(env: NodeJS.ProcessEnv, compareP99?: number): BenchConfig {
  const small = env.BENCH_SCALE === 'small';
  if (env.BENCH_SCALE && !['small', 'full'].includes(env.BENCH_SCALE)) throw new Error(`BENCH_SCALE=${env.BENCH_SCALE}: expected small or full`);
  const main = {
    patients: positiveInt(env, 'PATIENTS', small ? REFERENCE.patients : 100_000),
    documents: positiveInt(env, 'DOCS', small ? REFERENCE.documents : 1_000_000),
  };
  const runReference = env.BENCH_REF !== '0' && compareP99 === undefined && main.documents > REFERENCE.documents;
  return {
    main,
    reference: runReference ? REFERENCE : undefined,
    compareP99,
    databaseUrl: env.DATABASE_URL || undefined,
    adminUrl: env.BENCH_ADMIN_URL || 'postgres://postgres@127.0.0.1:5432/test',
    keep: env.BENCH_KEEP === '1',
    variants: env.BENCH_VARIANTS ? env.BENCH_VARIANTS.split(',').map((v) => v.trim()).filter(Boolean) : undefined,
    connections: positiveInt(env, 'BENCH_CONNECTIONS', 20),
    seconds: positiveInt(env, 'BENCH_DURATION', 10),
    warmupSeconds: positiveInt(env, 'BENCH_WARMUP', 3),
    rounds: positiveInt(env, 'BENCH_ROUNDS', 2),
    seedBatch: positiveInt(env, 'SEED_BATCH', 2000),
    seedConcurrency: positiveInt(env, 'SEED_CONCURRENCY', 2),
  };
}
