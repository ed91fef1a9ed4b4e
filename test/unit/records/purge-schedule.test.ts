import { createLogger } from '../../../src/logger';
import { schedulePurge } from '../../../src/records/purge-schedule';
import { recordLifeConfigSchema } from '../../../src/records/wiring';
import { readConfigSchema } from '../../../src/config';

const logger = createLogger('silent');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('PURGE_INTERVAL_MS=0 never runs the purge', async () => {
  let runs = 0;
  const schedule = schedulePurge({ intervalMs: 0, run: async () => void runs++, logger });
  await sleep(50);
  await schedule.stop();
  expect(runs).toBe(0);
});

test('a run still going when the next is due is not doubled, a failed run is retried, and stop waits for the run', async () => {
  let active = 0;
  let most = 0;
  let runs = 0;
  const schedule = schedulePurge({
    intervalMs: 10,
    logger,
    run: async () => {
      runs++;
      active++;
      most = Math.max(most, active);
      await sleep(40);
      active--;
      if (runs === 1) throw new Error('database away');
    },
  });
  await sleep(300);
  await schedule.stop();
  expect(most).toBe(1);
  expect(runs).toBeGreaterThanOrEqual(2);
  expect(active).toBe(0);
});

test('PURGE_INTERVAL_MS defaults to a day and refuses what is not a whole number of milliseconds', () => {
  expect(readConfigSchema(recordLifeConfigSchema, {}, 'x')).toEqual({ purgeIntervalMs: 86_400_000, majorityIntervalMs: 3_600_000 });
  expect(() => readConfigSchema(recordLifeConfigSchema, { PURGE_INTERVAL_MS: '-1' }, 'record life configuration')).toThrow(/PURGE_INTERVAL_MS/);
  expect(() => readConfigSchema(recordLifeConfigSchema, { PURGE_INTERVAL_MS: '1d' }, 'record life configuration')).toThrow(/PURGE_INTERVAL_MS/);
});

test('MAJORITY_HANDOVER_INTERVAL_MS defaults to an hour, 0 turns the job off, and refuses what is not a whole number', () => {
  expect(readConfigSchema(recordLifeConfigSchema, { MAJORITY_HANDOVER_INTERVAL_MS: '0' }, 'x')).toMatchObject({ majorityIntervalMs: 0 });
  expect(() => readConfigSchema(recordLifeConfigSchema, { MAJORITY_HANDOVER_INTERVAL_MS: '1h' }, 'record life configuration')).toThrow(/MAJORITY_HANDOVER_INTERVAL_MS/);
});
