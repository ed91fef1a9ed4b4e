import { machineBusyMicros, postgresMicros } from './cpu';
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
  /** CPU of all postgres processes per request (µs). */
  postgresCpuMicros: number;
  /** Busy CPU of the whole machine per request (µs): server, database, load generator, anything else. */
  machineCpuMicros: number;
}

export interface MeasureOptions {
  databaseUrl: string;
  dataset: Dataset;
  variants: BenchVariant[];
  connections: number;
  seconds: number;
  warmupSeconds: number;
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

/** Measures every variant on one seeded database; warns when a variant answers differently from the first. */
export async function measureVariants(options: MeasureOptions): Promise<{ measurements: Measurement[]; mismatches: string[] }> {
  const { dataset, log } = options;
  const patients = dataset.size.patients;
  const samples = [0, 1, Math.floor(patients / 2), patients - 1].map(patientId);
  const withDocuments = patientId(patientOfDocument(Math.max(0, dataset.size.documents - 1), patients));
  const measurements: Measurement[] = [];
  const mismatches: string[] = [];
  let expected: Signature | undefined;
  for (const variant of options.variants) {
    const headersOf = await variant.requestHeaders?.(options.databaseUrl, dataset);
    const server = await startServerProcess(variant.name, options.databaseUrl);
    try {
      const got = await signature(server, [...samples, withDocuments], headersOf);
      if (!expected) expected = got;
      else if (got.read !== expected.read || got.search !== expected.search) {
        mismatches.push(`${variant.name} answers differently from ${options.variants[0].name}: ${JSON.stringify(got)} vs ${JSON.stringify(expected)}`);
      }
      for (const scenario of SCENARIOS) {
        const next = (): { path: string; headers?: Record<string, string> } => {
          const patient = patientId(Math.floor(Math.random() * patients));
          return { path: scenario.path(patient), headers: headersOf?.(patient) };
        };
        const load = { url: server.url, connections: options.connections, next };
        await runLoad({ ...load, seconds: options.warmupSeconds });
        const before = { server: await server.cpuMicros(), pg: postgresMicros(), machine: machineBusyMicros() };
        const result = await runLoad({ ...load, seconds: options.seconds });
        const after = { server: await server.cpuMicros(), pg: postgresMicros(), machine: machineBusyMicros() };
        const per = (a: number, b: number): number => (result.requests ? (b - a) / result.requests : 0);
        measurements.push({
          variant: variant.name,
          scenario: scenario.name,
          load: result,
          serverCpuMicros: per(before.server, after.server),
          postgresCpuMicros: per(before.pg, after.pg),
          machineCpuMicros: per(before.machine, after.machine),
        });
        log(`  ${variant.name.padEnd(10)} ${scenario.name.padEnd(6)} ${Math.round(result.rps).toString().padStart(6)} req/s  p50 ${result.p50} ms  p99 ${result.p99} ms${result.non2xx || result.errors ? `  (${result.non2xx} non-2xx, ${result.errors} errors)` : ''}`);
      }
    } finally {
      await server.stop();
    }
  }
  return { measurements, mismatches };
}
