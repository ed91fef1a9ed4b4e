import type { Logger } from '../logger';

/** The first run waits this long after start-up (start-up stays quick; a server restarted daily still purges). */
const FIRST_RUN_DELAY_MS = 60_000;

/** A running schedule: `stop` clears the timer and waits for a run in progress. */
export interface PurgeSchedule {
  stop(): Promise<void>;
}

/**
 * Runs `run` every `intervalMs` (0 = never; the purge, and the majority hand-over, named `name` in the failure log), the first time after a minute or the interval if shorter. A run still
 * going when the next is due is not doubled; a failed run is logged and retried at the next tick.
 */
export function schedulePurge(options: { intervalMs: number; run: () => Promise<unknown>; logger: Logger; name?: string }): PurgeSchedule {
  if (options.intervalMs <= 0) return { stop: async () => undefined };
  let running: Promise<void> | undefined;
  let interval: NodeJS.Timeout | undefined;
  const tick = () => {
    if (running) return;
    running = options
      .run()
      .then(() => undefined, (err: unknown) => void options.logger.error(`${options.name ?? 'record purge'} failed: ${(err as Error).message}`, { err }))
      .finally(() => (running = undefined));
  };
  const first = setTimeout(() => {
    tick();
    interval = setInterval(tick, options.intervalMs);
    interval.unref();
  }, Math.min(FIRST_RUN_DELAY_MS, options.intervalMs));
  first.unref();
  return {
    async stop() {
      clearTimeout(first);
      if (interval) clearInterval(interval);
      await running;
    },
  };
}
