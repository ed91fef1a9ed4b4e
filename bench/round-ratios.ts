import type { Measurement, ScenarioName } from './measure';
import type { PhaseResult } from './report';

/**
 * A variant's ratios to the baseline round by round. The variants alternate within each round, so round i of a
 * variant and round i of the baseline ran under about the same load of the shared machine: their ratio is steadier
 * than the ratio of the two best rounds (which may come from different moments), and the spread of the per-round
 * ratios says how far to trust the median.
 */
export interface RoundRatios {
  variant: string;
  scenario: ScenarioName;
  /** req/s of the variant / req/s of the baseline, per round. */
  rps: number[];
  /** Server + PostgreSQL CPU per request of the variant / of the baseline, per round (absent for older results). */
  cpu?: number[];
  median: number;
  min: number;
  max: number;
}

/** The median of a non-empty list (mean of the two middle values for an even count). */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

const cpuOf = (m: Measurement): number[] | undefined => m.roundCpu?.map((c) => c.server + c.postgres);

/** Per-round ratios of every variant to `baseline` on the main phase (rounds paired by their order). */
export function computeRoundRatios(main: PhaseResult, baseline: string): RoundRatios[] {
  const out: RoundRatios[] = [];
  for (const m of main.measurements) {
    const base = main.measurements.find((b) => b.variant === baseline && b.scenario === m.scenario);
    if (!base || m.variant === baseline) continue;
    const n = Math.min(m.rounds.length, base.rounds.length);
    if (n === 0) continue;
    const rps = m.rounds.slice(0, n).map((r, i) => r / base.rounds[i]);
    const mine = cpuOf(m);
    const theirs = cpuOf(base);
    const cpu = mine && theirs && mine.length >= n && theirs.length >= n ? mine.slice(0, n).map((c, i) => c / theirs[i]) : undefined;
    out.push({ variant: m.variant, scenario: m.scenario, rps, cpu, median: median(rps), min: Math.min(...rps), max: Math.max(...rps) });
  }
  return out;
}

/** Floors and targets of the production composition (issue 11: not slower than before the redesign; issue 14). */
export const PRODUCTION_FLOORS: { scenario: ScenarioName; floor: number; target: number }[] = [
  { scenario: 'read', floor: 0.27, target: 0.5 },
  { scenario: 'search', floor: 0.27, target: 0.4 },
];

const x = (n: number): string => `x${n.toFixed(2)}`;

/** The per-round ratio lines, and for `production` its median against the floor of issue 11 and the targets of issue 14. */
export function formatRoundRatios(ratios: RoundRatios[]): string {
  if (!ratios.length) return '';
  const lines = ['\n== ratios to baseline, round by round (same round = same machine load; median [min–max])'];
  for (const r of ratios) {
    const cpu = r.cpu ? `   CPU/req (server + postgres) median ${x(median(r.cpu))} [${r.cpu.map(x).join(' ')}]` : '';
    lines.push(`   ${r.variant.padEnd(10)} ${r.scenario.padEnd(8)} req/s median ${x(r.median)} [${x(r.min)}–${x(r.max)}] rounds ${r.rps.map(x).join(' ')}${cpu}`);
  }
  const production = ratios.filter((r) => r.variant === 'production');
  if (production.length) {
    lines.push('\n== production / baseline (median of the rounds): issue 11 floor, issue 14 target (1M documents)');
    for (const { scenario, floor, target } of PRODUCTION_FLOORS) {
      const r = production.find((p) => p.scenario === scenario);
      if (!r) continue;
      const verdict = (limit: number): string => (r.median >= limit ? 'PASS' : 'FAIL');
      lines.push(`   ${scenario.padEnd(8)} ${x(r.median)} (spread ${x(r.min)}–${x(r.max)} over ${r.rps.length} rounds)   ${verdict(floor)} floor >= ${floor}   ${verdict(target)} target >= ${target}`);
    }
  }
  return lines.join('\n');
}
