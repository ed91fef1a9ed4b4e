import { cpuBetween, machineBusyMicros, processMicros } from './cpu';
import type { Dataset } from './dataset';
import { patientId, patientOfDocument } from './ids';
import { runLoad, type LoadResult } from './load';
import { startServerProcess, type ServerProcess } from './server-process';
import type { BenchVariant } from './variants/variant';

/** The two measured requests, each for a patient drawn at random per request. */
export const SCENARIOS = [
  { name: 'read', path: (patient: string) => `/fhir/Patient/${patient}` },
  { name: 'search', path: (patient: string) => `/fhir/DocumentReference?patient=${patient}&_count=20` },
] as const;

export type ScenarioName = (typeof SCENARIOS)[number]['name'];

/** One variant × scenario measurement. */
export interface Measurement {
  variant: string;
  scenario: ScenarioName;
  load: LoadResult;
  /** CPU of the server process per request (µs). */
  serverCpuMicros: number;
  /** CPU per request (µs) of the PostgreSQL backends serving the bench database (the servers' pools). */
  postgresCpuMicros: number;
  /** Busy CPU of the whole machine per request (µs): server, database, load generator, anything else. */
  machineCpuMicros: number;
  /** req/s of every round; the figures above are those of the best round. */
  rounds: number[];
}

export interface MeasureOptions {
  databaseUrl: string;
  dataset: Dataset;
  variants: BenchVariant[];
  connections: number;
  seconds: number;
  warmupSeconds: number;
  rounds: number;
  /** Process ids of the PostgreSQL backends connected to the bench database. */
  backendPids: () => Promise<number[]>;
  log: (line: string) => void;
}

interface Signature { read: string; search: string }

/** What a server answers for a few patients: statuses, ids, entry ids in order (to check variants agree). */
async function signature(server: ServerProcess, patients: string[], headersOf?: (patient: string) => Record<string, string>): Promise<Signature> {
  const read: string[] = [];
  const search: string[] = [];
  for (const patient of patients) {
    const headers = headersOf?.(patient);
    const r = await fetch(server.url + SCENARIOS[0].path(patient), { headers });
    read.push(`${r.status}:${r.ok ? ((await r.json()) as { id: string }).id : ''}`);
    const s = await fetch(server.url + SCENARIOS[1].path(patient), { headers });
    const bundle = s.ok ? ((await s.json()) as { entry?: { resource: { id: string } }[] }) : undefined;
    search.push(`${s.status}:${(bundle?.entry ?? []).map((e) => e.resource.id).join(',')}`);
  }
  return { read: read.join(' '), search: search.join(' ') };
}

async function measureOnce(server: ServerProcess, next: () => { path: string; headers?: Record<string, string> }, options: MeasureOptions): Promise<Omit<Measurement, 'variant' | 'scenario' | 'rounds'>> {
  const load = { url: server.url, connections: options.connections, next };
  await runLoad({ ...load, seconds: options.warmupSeconds });
  const pids = await options.backendPids();
  const before = { server: await server.cpuMicros(), pg: processMicros(pids), machine: machineBusyMicros() };
  const result = await runLoad({ ...load, seconds: options.seconds });
  const after = { server: await server.cpuMicros(), pg: processMicros(pids), machine: machineBusyMicros() };
  const per = (a: number, b: number): number => (result.requests ? (b - a) / result.requests : 0);
  return {
    load: result,
    serverCpuMicros: per(before.server, after.server),
    postgresCpuMicros: per(0, cpuBetween(before.pg, after.pg)),
    machineCpuMicros: per(before.machine, after.machine),
  };
}

/**
 * Measures every variant on one seeded database. All servers run at once (idle ones cost nothing) and the
 * variants alternate within each scenario, round after round, so that a burst of other work on the shared
 * machine hits them alike; the round with the most req/s is kept (interference only ever slows a run down).
 * Warns when a variant answers differently from the first.
 */
export async function measureVariants(options: MeasureOptions): Promise<{ measurements: Measurement[]; mismatches: string[] }> {
  const { dataset, log } = options;
  const patients = dataset.size.patients;
  const samples = [0, 1, Math.floor(patients / 2), patients - 1].map(patientId);
  const withDocuments = patientId(patientOfDocument(Math.max(0, dataset.size.documents - 1), patients));
  const measurements: Measurement[] = [];
  const mismatches: string[] = [];
  const servers: { variant: BenchVariant; server: ServerProcess; headersOf?: (patient: string) => Record<string, string> }[] = [];
  try {
    for (const variant of options.variants) {
      const headersOf = await variant.requestHeaders?.(options.databaseUrl, dataset);
      servers.push({ variant, server: await startServerProcess(variant.name, options.databaseUrl), headersOf });
    }
    let expected: Signature | undefined;
    for (const { variant, server, headersOf } of servers) {
      const got = await signature(server, [...samples, withDocuments], headersOf);
      if (!expected) expected = got;
      else if (got.read !== expected.read || got.search !== expected.search) {
        mismatches.push(`${variant.name} answers differently from ${options.variants[0].name}: ${JSON.stringify(got)} vs ${JSON.stringify(expected)}`);
      }
    }
    for (const scenario of SCENARIOS) {
      const rounds = new Map<string, Omit<Measurement, 'variant' | 'scenario' | 'rounds'>[]>();
      for (let round = 0; round < options.rounds; round++) {
        for (const { variant, server, headersOf } of servers) {
          const next = (): { path: string; headers?: Record<string, string> } => {
            const patient = patientId(Math.floor(Math.random() * patients));
            return { path: scenario.path(patient), headers: headersOf?.(patient) };
          };
          const m = await measureOnce(server, next, options);
          rounds.set(variant.name, [...(rounds.get(variant.name) ?? []), m]);
          const l = m.load;
          log(`  ${variant.name.padEnd(10)} ${scenario.name.padEnd(6)} round ${round + 1}: ${Math.round(l.rps).toString().padStart(6)} req/s  p50 ${l.p50} ms  p99 ${l.p99} ms  server ${Math.round(m.serverCpuMicros)} µs/req${l.non2xx || l.errors ? `  (${l.non2xx} non-2xx, ${l.errors} errors)` : ''}`);
        }
      }
      for (const [variant, all] of rounds) {
        const best = all.reduce((a, b) => (b.load.rps > a.load.rps ? b : a));
        measurements.push({ variant, scenario: scenario.name, ...best, rounds: all.map((r) => r.load.rps) });
      }
    }
  } finally {
    for (const { server } of servers) await server.stop();
  }
  return { measurements, mismatches };
}
