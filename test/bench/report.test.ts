import { loadBenchConfig } from '../../bench/bench-config';
import type { Measurement } from '../../bench/measure';
import { computeRatios, computeTargets, formatVerdict, type PhaseResult } from '../../bench/report';

function measurement(variant: string, scenario: 'read' | 'search', rps: number, p99: number, serverCpuMicros: number): Measurement {
  return {
    variant, scenario, serverCpuMicros, postgresCpuMicros: 100, machineCpuMicros: 500, rounds: [rps],
    load: { requests: rps * 10, seconds: 10, rps, p50: p99 / 3, p90: p99 / 2, p99, max: p99 * 2, errors: 0, non2xx: 0 },
  };
}

const phase = (documents: number, measurements: Measurement[]): PhaseResult => ({
  name: 'main', size: { patients: documents / 10, documents }, databaseReused: false, measurements, mismatches: [],
});

describe('bench report', () => {
  const main = phase(1_000_000, [
    measurement('baseline', 'read', 6000, 10, 200),
    measurement('baseline', 'search', 2000, 20, 300),
    measurement('core', 'read', 4000, 12, 300),
    measurement('core', 'search', 900, 50, 600),
  ]);

  it('divides each variant by the baseline of the same scenario', () => {
    const ratios = computeRatios(main, 'baseline');
    expect(ratios).toEqual([
      { variant: 'core', scenario: 'read', rps: 4000 / 6000, p99: 1.2, serverCpu: 1.5 },
      { variant: 'core', scenario: 'search', rps: 0.45, p99: 2.5, serverCpu: 2 },
    ]);
  });

  it('passes the read target, fails the search target and judges p99 growth against the reference', () => {
    const targets = computeTargets(main, { main: 50, reference: 20 }, computeRatios(main, 'baseline'));
    expect(targets.map((t) => t.pass)).toEqual([true, false, false]);
    expect(targets[2].value).toBe(2.5);
    expect(formatVerdict(computeRatios(main, 'baseline'), targets)).toMatch(/PASS {2}read[\s\S]*FAIL {2}search req\/s[\s\S]*FAIL {2}search p99/);
  });

  it('leaves the p99 growth unjudged without a reference run', () => {
    const targets = computeTargets(main, { main: 50 }, computeRatios(main, 'baseline'));
    expect(targets[2].pass).toBeUndefined();
    expect(formatVerdict([], targets)).toContain('N/A');
  });
});

describe('bench configuration', () => {
  it('runs the 10k-document reference phase before a full-size run', () => {
    const config = loadBenchConfig({});
    expect(config.main).toEqual({ patients: 100_000, documents: 1_000_000 });
    expect(config.reference).toEqual({ patients: 1000, documents: 10_000 });
  });

  it('runs one small phase at the small scale, or when an earlier p99 is given', () => {
    expect(loadBenchConfig({ BENCH_SCALE: 'small' })).toMatchObject({ main: { patients: 1000, documents: 10_000 }, reference: undefined });
    expect(loadBenchConfig({}, 35).reference).toBeUndefined();
  });

  it('reads sizes with separators and refuses nonsense', () => {
    expect(loadBenchConfig({ PATIENTS: '10_000', DOCS: '100,000' }).main).toEqual({ patients: 10_000, documents: 100_000 });
    expect(() => loadBenchConfig({ DOCS: 'many' })).toThrow(/DOCS=many/);
    expect(() => loadBenchConfig({ BENCH_SCALE: 'huge' })).toThrow(/BENCH_SCALE/);
  });
});
