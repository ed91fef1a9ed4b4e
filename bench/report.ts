import type { DatasetSize } from './dataset';
import type { ExplainedStatement } from './explain';
import type { Measurement, ScenarioName } from './measure';
import type { SeedReport } from './seed';

/** Everything measured on one data set. */
export interface PhaseResult {
  name: 'reference' | 'main';
  size: DatasetSize;
  databaseReused: boolean;
  seed?: SeedReport;
  measurements: Measurement[];
  mismatches: string[];
  explain?: { core: ExplainedStatement[]; baseline: ExplainedStatement };
}

export interface Ratio {
  variant: string;
  scenario: ScenarioName;
  rps: number;
  p99: number;
  serverCpu: number;
}

export interface Target {
  name: string;
  value?: number;
  limit: string;
  /** undefined when it could not be evaluated (missing measurement). */
  pass?: boolean;
}

const find = (phase: PhaseResult | undefined, variant: string, scenario: ScenarioName): Measurement | undefined =>
  phase?.measurements.find((m) => m.variant === variant && m.scenario === scenario);

/** Ratios of each variant to the baseline (first variant) on the main phase. */
export function computeRatios(main: PhaseResult, baseline: string): Ratio[] {
  const out: Ratio[] = [];
  for (const m of main.measurements) {
    const base = find(main, baseline, m.scenario);
    if (!base || m.variant === baseline) continue;
    out.push({ variant: m.variant, scenario: m.scenario, rps: m.load.rps / base.load.rps, p99: m.load.p99 / base.load.p99, serverCpu: m.serverCpuMicros / base.serverCpuMicros });
  }
  return out;
}

/** Search p99 of `production` (else the core) at the main size and at 10,000 documents (measured alternately, or given). */
export interface P99Growth {
  main?: number;
  reference?: number;
}

/** The three targets of issue 2, evaluated for the `core` variant. */
export function computeTargets(main: PhaseResult, p99: P99Growth, ratios: Ratio[]): Target[] {
  const ratio = (scenario: ScenarioName): number | undefined => ratios.find((r) => r.variant === 'core' && r.scenario === scenario)?.rps;
  const read = ratio('read');
  const search = ratio('search');
  const growth = p99.main !== undefined && p99.reference ? p99.main / p99.reference : undefined;
  return [
    { name: 'read req/s, core / baseline', value: read, limit: '>= 0.6', pass: read === undefined ? undefined : read >= 0.6 },
    { name: 'search req/s, core / baseline', value: search, limit: '>= 0.5', pass: search === undefined ? undefined : search >= 0.5 },
    { name: `search p99 at ${main.size.documents.toLocaleString('en-US')} docs / at 10,000 docs${growth === undefined ? ' (needs a main size above 10,000 docs, or BENCH_COMPARE)' : ''}`, value: growth, limit: '<= 2', pass: growth === undefined ? undefined : growth <= 2 },
  ];
}

const fmt = (n: number, digits = 0): string => n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

/** The human-readable summary printed at the end of a run. */
export function formatPhase(phase: PhaseResult): string {
  const lines: string[] = [];
  const { size } = phase;
  lines.push(`\n== ${phase.name}: ${fmt(size.patients)} patients, ${fmt(size.documents)} documents${phase.databaseReused ? ' (database reused, not seeded)' : ''}`);
  if (phase.seed) {
    for (const p of phase.seed.phases) lines.push(`   seed ${p.kind.padEnd(18)} ${fmt(p.rows).padStart(10)} rows ${fmt(p.indexRows).padStart(12)} index rows ${fmt(p.seconds, 1).padStart(7)} s ${fmt(p.rowsPerSecond).padStart(8)} rows/s`);
    lines.push(`   seed total ${fmt(phase.seed.totalSeconds, 1)} s (index rebuild ${fmt(phase.seed.indexBuildSeconds, 1)} s, ANALYZE ${fmt(phase.seed.analyzeSeconds, 1)} s): ${fmt(phase.seed.resourcesPerSecond)} resources/s overall`);
  }
  if (!phase.measurements.length) return lines.join('\n');
  lines.push('   variant    scenario    req/s   p50 ms   p90 ms   p99 ms   max ms  server µs/req  postgres µs/req  machine µs/req  non-2xx  errors');
  for (const m of phase.measurements) {
    const l = m.load;
    lines.push(`   ${m.variant.padEnd(10)} ${m.scenario.padEnd(8)} ${fmt(l.rps).padStart(8)} ${fmt(l.p50, 1).padStart(8)} ${fmt(l.p90, 1).padStart(8)} ${fmt(l.p99, 1).padStart(8)} ${fmt(l.max, 1).padStart(8)} ${fmt(m.serverCpuMicros).padStart(14)} ${fmt(m.postgresCpuMicros).padStart(16)} ${fmt(m.machineCpuMicros).padStart(15)} ${fmt(l.non2xx).padStart(8)} ${fmt(l.errors).padStart(7)}`);
  }
  for (const w of phase.mismatches) lines.push(`   WARNING ${w}`);
  return lines.join('\n');
}

/** The alternating search runs (`production`, else the core) on the reference and the main database. */
export function formatGrowth(growth: Measurement[]): string {
  const lines = [`\n== search p99 growth: ${growth[0]?.variant.split('@')[0] ?? 'core'} on both databases, alternating rounds`];
  for (const m of growth) lines.push(`   ${m.variant.padEnd(16)} ${fmt(m.load.rps).padStart(8)} req/s   p50 ${fmt(m.load.p50, 1)} ms   p99 ${fmt(m.load.p99, 1)} ms   server ${fmt(m.serverCpuMicros)} µs/req   postgres ${fmt(m.postgresCpuMicros)} µs/req`);
  return lines.join('\n');
}

/** Ratios and PASS/FAIL lines. */
export function formatVerdict(ratios: Ratio[], targets: Target[]): string {
  const lines = ['\n== ratios to baseline (main data set)'];
  for (const r of ratios) lines.push(`   ${r.variant.padEnd(10)} ${r.scenario.padEnd(8)} req/s x${fmt(r.rps, 2)}   p99 x${fmt(r.p99, 2)}   server CPU/req x${fmt(r.serverCpu, 2)}`);
  lines.push('\n== targets');
  for (const t of targets) {
    const verdict = t.pass === undefined ? 'N/A ' : t.pass ? 'PASS' : 'FAIL';
    lines.push(`   ${verdict}  ${t.name}: ${t.value === undefined ? 'not measured' : fmt(t.value, 2)} (target ${t.limit})`);
  }
  return lines.join('\n');
}
