import { CpuTracker, machineBusyMicros } from './cpu';
import type { Dataset } from './dataset';
import { patientId, patientOfDocument } from './ids';
import { runLoad, type LoadResult } from './load';
import { startServerProcess, type ServerProcess } from './server-process';
import type { BenchVariant, ServerCounters } from './variants/variant';

/** The two measured requests, each for a patient drawn at random per request. */
export const SCENARIOS = [
  { name: 'read', path: (patient: string) => `/fhir/Patient/${patient}` },
  { name: 'search', path: (patient: string) => `/fhir/DocumentReference?patient=${patient}&_count=20` },
] as const;

export type ScenarioName = (typeof SCENARIOS)[number]['name'];

/** One target × scenario measurement. */
export interface Measurement {
  /** The target's label: the variant name, or `variant@size` when comparing databases. */
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
  /** CPU per request (µs) of the server process and of the PostgreSQL backends, in every round. */
  roundCpu?: { server: number; postgres: number }[];
  /** The audit group commit in the kept round (variants that audit reads): flushes, events per flush, mean flush time. */
  audit?: AuditFlushes;
}

/** What the audit group commit did during a round. */
export interface AuditFlushes {
  flushes: number;
  eventsPerFlush: number;
  /** Mean time of one flush (ms): an audited read waits for the rest of the flush in flight, then for its own. */
  flushMs: number;
}

/** A server to measure: a variant on a seeded database. */
export interface MeasureTarget {
  label: string;
  variant: BenchVariant;
  databaseUrl: string;
  dataset: Dataset;
  /** Process ids of the PostgreSQL backends connected to that database. */
  backendPids: () => Promise<number[]>;
}

export interface MeasureOptions {
  targets: MeasureTarget[];
  scenarios: ScenarioName[];
  /** Check that every target answers like the first (same database only). */
  compareAnswers: boolean;
  connections: number;
  seconds: number;
  warmupSeconds: number;
  rounds: number;
  log: (line: string) => void;
}

interface Signature { read: string; search: string }
type Next = () => { path: string; headers?: Record<string, string> };
type Sample = Omit<Measurement, 'variant' | 'scenario' | 'rounds' | 'roundCpu'>;

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

async function measureOnce(server: ServerProcess, target: MeasureTarget, next: Next, options: MeasureOptions): Promise<Sample> {
  const load = { url: server.url, connections: options.connections, next };
  await runLoad({ ...load, seconds: options.warmupSeconds });
  const pg = new CpuTracker();
  pg.sample(await target.backendPids());
  const before = { server: await server.cpuMicros(), counters: await server.counters(), machine: machineBusyMicros() };
  const polling = pollBackends(target, pg);
  const result = await runLoad({ ...load, seconds: options.seconds });
  const after = { server: await server.cpuMicros(), counters: await server.counters(), machine: machineBusyMicros() };
  await polling.stop();
  pg.sample(await target.backendPids());
  const per = (a: number, b: number): number => (result.requests ? (b - a) / result.requests : 0);
  return {
    load: result,
    serverCpuMicros: per(before.server, after.server),
    postgresCpuMicros: per(0, pg.used),
    machineCpuMicros: per(before.machine, after.machine),
    audit: auditBetween(before.counters, after.counters),
  };
}

/** Samples the backends' CPU every half second until stopped (they may come and go during a round). */
function pollBackends(target: MeasureTarget, tracker: CpuTracker): { stop: () => Promise<void> } {
  let running = true;
  const loop = (async () => {
    while (running) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      if (running) tracker.sample(await target.backendPids());
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
    },
  };
}

function auditBetween(before: ServerCounters | undefined, after: ServerCounters | undefined): AuditFlushes | undefined {
  if (!before || !after) return undefined;
  const flushes = after.auditFlushes - before.auditFlushes;
  if (flushes <= 0) return undefined;
  return { flushes, eventsPerFlush: (after.auditEvents - before.auditEvents) / flushes, flushMs: (after.auditFlushMs - before.auditFlushMs) / flushes };
}

interface Running { target: MeasureTarget; server: ServerProcess; headersOf?: (patient: string) => Record<string, string> }

/** Each id list of `got` is `expected`'s, or (for a variant that declares it) a subsequence of it. */
function answersAgree(got: Signature, expected: Signature, answers: BenchVariant['answers']): boolean {
  if (got.read === expected.read && got.search === expected.search) return true;
  if (!answers?.subset || got.read !== expected.read) return false;
  const mine = got.search.split(' ');
  const theirs = expected.search.split(' ');
  return mine.length === theirs.length && mine.every((answer, i) => {
    const [status, ids] = answer.split(':');
    const [expectedStatus, expectedIds] = theirs[i].split(':');
    if (status !== expectedStatus) return false;
    const pool = expectedIds ? expectedIds.split(',') : [];
    let at = 0;
    return (ids ? ids.split(',') : []).every((id) => (at = pool.indexOf(id, at) + 1) > 0);
  });
}

async function compareAnswers(servers: Running[]): Promise<string[]> {
  const mismatches: string[] = [];
  let expected: Signature | undefined;
  for (const { target, server, headersOf } of servers) {
    const { patients, documents } = target.dataset.size;
    const samples = [0, 1, Math.floor(patients / 2), patients - 1, patientOfDocument(Math.max(0, documents - 1), patients)].map(patientId);
    const got = await signature(server, samples, headersOf);
    if (!expected) expected = got;
    else if (!answersAgree(got, expected, target.variant.answers)) {
      mismatches.push(`${target.label} answers differently from ${servers[0].target.label}: ${JSON.stringify(got)} vs ${JSON.stringify(expected)}`);
    }
  }
  return mismatches;
}

/**
 * Measures targets (variants, or one variant on two databases). All servers run at once (idle ones cost
 * nothing) and the targets alternate within each scenario, round after round, so that a burst of other work on
 * the shared machine hits them alike; the round with the most req/s is kept (interference only slows a run).
 */
export async function measureTargets(options: MeasureOptions): Promise<{ measurements: Measurement[]; mismatches: string[] }> {
  const { log } = options;
  const measurements: Measurement[] = [];
  const servers: Running[] = [];
  let mismatches: string[] = [];
  try {
    for (const target of options.targets) {
      const headersOf = await target.variant.requestHeaders?.(target.databaseUrl, target.dataset);
      servers.push({ target, server: await startServerProcess(target.variant.name, target.databaseUrl), headersOf });
    }
    if (options.compareAnswers) mismatches = await compareAnswers(servers);
    // A ratio against a baseline that answers differently is not a measurement: stop before measuring.
    if (mismatches.length) throw new Error(`Variants answer differently, nothing measured:\n${mismatches.join('\n')}`);
    for (const scenario of SCENARIOS.filter((s) => options.scenarios.includes(s.name))) {
      const rounds = new Map<string, Sample[]>();
      for (let round = 0; round < options.rounds; round++) {
        for (const { target, server, headersOf } of servers) {
          const patients = target.dataset.size.patients;
          const next: Next = () => {
            const patient = patientId(Math.floor(Math.random() * patients));
            return { path: scenario.path(patient), headers: headersOf?.(patient) };
          };
          const m = await measureOnce(server, target, next, options);
          rounds.set(target.label, [...(rounds.get(target.label) ?? []), m]);
          const l = m.load;
          const audit = m.audit ? `  audit ${m.audit.flushes} flushes of ${m.audit.eventsPerFlush.toFixed(1)} events, ${m.audit.flushMs.toFixed(1)} ms each` : '';
          log(`  ${target.label.padEnd(10)} ${scenario.name.padEnd(6)} round ${round + 1}: ${Math.round(l.rps).toString().padStart(6)} req/s  p50 ${l.p50} ms  p99 ${l.p99} ms  server ${Math.round(m.serverCpuMicros)} µs/req  postgres ${Math.round(m.postgresCpuMicros)} µs/req${audit}${l.non2xx || l.errors ? `  (${l.non2xx} non-2xx, ${l.errors} errors)` : ''}`);
        }
      }
      for (const [label, all] of rounds) {
        const best = all.reduce((a, b) => (b.load.rps > a.load.rps ? b : a));
        measurements.push({
          variant: label, scenario: scenario.name, ...best,
          rounds: all.map((r) => r.load.rps),
          roundCpu: all.map((r) => ({ server: r.serverCpuMicros, postgres: r.postgresCpuMicros })),
        });
      }
    }
  } finally {
    for (const { server } of servers) await server.stop();
  }
  return { measurements, mismatches };
}
