import path from 'node:path';
import { DEFAULT_MAX_MARKUP } from './cda/xml-safety';

/** One configuration key: where it comes from, what it means, its default, how to parse it. */
export interface KeySpec<T> {
  env: string;
  doc: string;
  default: T;
  parse: (raw: string) => T;
}

const int = (min: number, max: number) => (raw: string): number => {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) throw new Error(`expected an integer from ${min} to ${max}`);
  return n;
};
const str = (raw: string): string => raw;
const optionalStr = (raw: string): string | undefined => raw || undefined;
const oneOf = <T extends string>(...values: T[]) => (raw: string): T => {
  if (!values.includes(raw as T)) throw new Error(`expected one of ${values.join(', ')}`);
  return raw as T;
};
const byteSize = (raw: string): number => {
  const m = /^(\d+)\s*(b|kb|mb|gb)?$/i.exec(raw.trim());
  if (!m) throw new Error('expected a size such as 1048576, 512kb or 30mb');
  const unit = { b: 1, kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3 }[(m[2] ?? 'b').toLowerCase() as 'b'];
  return Number(m[1]) * unit;
};
const basePath = (raw: string): string => {
  if (!/^\/[A-Za-z0-9_\-/]*$/.test(raw)) throw new Error('expected a path starting with /');
  return raw.replace(/\/+$/, '') || '';
};

/** The configuration schema: every key with its environment variable, documentation and default. */
export const configSchema = {
  port: { env: 'PORT', doc: 'HTTP port to listen on (0 = any free port)', default: 8080, parse: int(0, 65535) },
  host: { env: 'HOST', doc: 'Interface to listen on', default: '0.0.0.0', parse: str },
  baseUrl: { env: 'BASE_URL', doc: 'Public base URL used in links (default: derived from each request)', default: undefined as string | undefined, parse: optionalStr },
  fhirBasePath: { env: 'FHIR_BASE_PATH', doc: 'Path under which the FHIR API is served', default: '/fhir', parse: basePath },
  databaseUrl: { env: 'DATABASE_URL', doc: 'PostgreSQL URL; unset = embedded PGlite in DATA_DIR', default: undefined as string | undefined, parse: optionalStr },
  dataDir: { env: 'DATA_DIR', doc: 'Directory of the embedded PGlite database and local keys', default: './data', parse: str },
  logLevel: { env: 'LOG_LEVEL', doc: 'error, warn, info, http, debug', default: 'info', parse: oneOf('error', 'warn', 'info', 'http', 'debug', 'silent') },
  maxBodySize: { env: 'MAX_BODY_SIZE', doc: 'Largest accepted request body (FHIR JSON, Binary, CDA)', default: 30 * 1024 ** 2, parse: byteSize },
  maxCdaSize: { env: 'MAX_CDA_SIZE', doc: 'Largest accepted CDA document', default: 20 * 1024 ** 2, parse: byteSize },
  requestTimeoutMs: {
    env: 'REQUEST_TIMEOUT_MS',
    // 30 MB (MAX_BODY_SIZE) on a 512 kbit/s uplink (a poor ADSL or mobile link) takes 30 × 1024² × 8 / 512,000 ≈ 492 s:
    // ten minutes lets it arrive; a slower body holds a connection no longer than that, and is answered 408.
    doc: 'Longest time a request may take to arrive whole, headers and body (→ 408 OperationOutcome, connection closed); headers alone get 60 s at most',
    default: 600_000,
    parse: int(1_000, 3_600_000),
  },
  shutdownGraceMs: {
    env: 'SHUTDOWN_GRACE_MS',
    doc: 'On SIGTERM/SIGINT, how long requests in flight may take to finish before their connections are cut',
    default: 10_000,
    parse: int(0, 3_600_000),
  },
  maxBundleEntries: { env: 'MAX_BUNDLE_ENTRIES', doc: 'Most entries in one batch or transaction Bundle (more → 413)', default: 1000, parse: int(1, 100_000) },
  maxResponseSize: { env: 'MAX_RESPONSE_SIZE', doc: 'Largest answer; a batch stops as soon as its entries pass it (→ 422 too-costly)', default: 32 * 1024 ** 2, parse: byteSize },
  everythingMaxCount: { env: 'EVERYTHING_MAX_COUNT', doc: 'Largest _count of Patient/$everything (a larger one is lowered to it)', default: 200, parse: int(1, 1000) },
  maxCountedRecords: { env: 'MAX_COUNTED_RECORDS', doc: 'Most patient records one search total may count, each filed in its trail (more → _summary=count 422 too-costly, a page without total)', default: 200, parse: int(1, 10_000) },
  maxIncluded: { env: 'MAX_INCLUDED', doc: 'Most resources _include/_revinclude may add to one page (more → 422 too-costly)', default: 1000, parse: int(1, 10_000) },
  statementTimeoutMs: {
    env: 'STATEMENT_TIMEOUT_MS',
    doc: 'PostgreSQL statement_timeout of every statement (0 = none); a statement stopped by it answers 503 + Retry-After. Not enforced on PGlite',
    default: 30_000,
    parse: int(0, 3_600_000),
  },
  cdaJobTimeoutMs: {
    env: 'CDA_JOB_TIMEOUT_MS',
    doc: 'Longest parse + mapping of one CDA document on a worker (the worker is replaced; → 422 too-costly)',
    default: 30_000,
    parse: int(100, 3_600_000),
  },
  cdaWorkerMemoryMb: {
    env: 'CDA_WORKER_MEMORY_MB',
    // A document at the markup limit (250,000 tags and attributes) grows a worker's heap by ~80-150 MB.
    doc: 'Heap (old generation) of each CDA plan worker, MB; a document needing more ends its worker (→ 422 too-costly, the worker replaced)',
    default: 256,
    parse: int(32, 16_384),
  },
  cdaMarkupLimit: {
    env: 'CDA_MARKUP_LIMIT',
    // The parsed tree costs ~270 bytes per element: a limit raised far past the default needs CDA_WORKER_MEMORY_MB
    // raised with it, or such documents end their worker (422) instead of being refused before parsing (413).
    doc: 'Most tags and attributes (its `<` and `=` characters) of one CDA document, counted before any parsing (more → 413 too-costly)',
    default: DEFAULT_MAX_MARKUP,
    parse: int(1_000, 100_000_000),
  },
  cdaQueueLimit: { env: 'CDA_QUEUE_LIMIT', doc: 'CDA documents waiting for or on the workers; one more → 503 + Retry-After', default: 64, parse: int(1, 100_000) },
  metricsToken: {
    env: 'METRICS_TOKEN',
    doc: 'Bearer token Prometheus presents to scrape /metrics; unset = /metrics is not served (404)',
    default: undefined as string | undefined,
    parse: optionalStr,
  },
  dbPoolSize: { env: 'DB_POOL_SIZE', doc: 'PostgreSQL connection pool size', default: 10, parse: int(1, 200) },
  dbConnectionLifetimeS: {
    env: 'DB_CONNECTION_LIFETIME_S',
    doc: 'Seconds a pooled PostgreSQL connection is kept before it is replaced (0 = for ever): each connection keeps the plans it made, and a new one plans again against the tables as they are now',
    default: 600,
    parse: int(0, 86_400),
  },
  auditFlushConcurrency: {
    env: 'AUDIT_FLUSH_CONCURRENCY',
    doc: 'Group-commit flushes of read AuditEvents in flight at once (each on its own pooled connection; see src/audit/README.md)',
    default: 1,
    parse: int(1, 8),
  },
  cdaPlanWorkers: {
    env: 'CDA_PLAN_WORKERS',
    doc: 'Worker threads parsing CDA imports (0 = on the request thread; default: one per spare core, at most 4)',
    default: undefined as number | undefined,
    parse: int(0, 64),
  },
} satisfies Record<string, KeySpec<unknown>>;

type Schema = typeof configSchema;
export type Config = { [K in keyof Schema]: Schema[K]['default'] };

/** Reads a configuration schema from an environment; throws one error naming every bad key (values of secrets are not echoed). */
export function readConfigSchema<S extends Record<string, KeySpec<unknown>>>(schema: S, env: NodeJS.ProcessEnv, label: string): { [K in keyof S]: S[K]['default'] } {
  const out: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const [key, spec] of Object.entries(schema)) {
    const raw = env[spec.env];
    if (raw === undefined || raw === '') {
      out[key] = spec.default;
      continue;
    }
    try {
      out[key] = spec.parse(raw);
    } catch (err) {
      problems.push(`${spec.env}: ${(err as Error).message}`);
    }
  }
  if (problems.length) throw new Error(`Invalid ${label}:\n  ${problems.join('\n  ')}`);
  return out as { [K in keyof S]: S[K]['default'] };
}

/** Reads and validates the configuration from an environment; throws one error listing every bad key. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, overrides: Partial<Config> = {}): Config {
  const config = { ...readConfigSchema(configSchema, env, 'configuration'), ...overrides };
  config.dataDir = path.resolve(config.dataDir);
  return config;
}
