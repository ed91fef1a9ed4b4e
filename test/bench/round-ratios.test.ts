import type { Measurement } from '../../bench/measure';
import type { PhaseResult } from '../../bench/report';
import { computeRoundRatios, formatRoundRatios, median } from '../../bench/round-ratios';

function measurement(variant: string, scenario: 'read' | 'search', rounds: number[], cpu: number[]): Measurement {
  const best = Math.max(...rounds);
  return {
    variant, scenario, serverCpuMicros: cpu[0], postgresCpuMicros: 0, machineCpuMicros: 0, rounds,
    roundCpu: cpu.map((server) => ({ server, postgres: 100 })),
    load: { requests: best * 10, seconds: 10, rps: best, p50: 1, p90: 2, p99: 3, max: 4, errors: 0, non2xx: 0 },
  };
}

const main: PhaseResult = {
  name: 'main', size: { patients: 1000, documents: 10_000 }, databaseReused: false, mismatches: [],
  measurements: [
    measurement('baseline', 'read', [4000, 2000, 3000], [100, 100, 100]),
    measurement('production', 'read', [1200, 500, 1200], [300, 300, 500]),
    measurement('baseline', 'search', [1000, 1000], [200, 200]),
    measurement('production', 'search', [250, 350], [400, 600]),
  ],
};

describe('bench ratios round by round', () => {
  it('divides each round of a variant by the same round of the baseline, and takes their median and spread', () => {
    const [read, search] = computeRoundRatios(main, 'baseline');
    expect(read).toMatchObject({ variant: 'production', scenario: 'read', rps: [0.3, 0.25, 0.4], median: 0.3, min: 0.25, max: 0.4 });
    expect(read.cpu).toEqual([2, 2, 3]);
    expect(search).toMatchObject({ rps: [0.25, 0.35], min: 0.25, max: 0.35 });
    expect(search.median).toBeCloseTo(0.3);
  });

  it('judges the production median against the floor of issue 11 and the targets of issue 14', () => {
    const text = formatRoundRatios(computeRoundRatios(main, 'baseline'));
    expect(text).toMatch(/read +x0\.30 \(spread x0\.25–x0\.40 over 3 rounds\) +PASS floor >= 0\.27 +FAIL target >= 0\.5/);
    expect(text).toMatch(/search +x0\.30 \(spread x0\.25–x0\.35 over 2 rounds\) +PASS floor >= 0\.27 +FAIL target >= 0\.4/);
  });

  it('has a median for odd and even counts', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });
});
