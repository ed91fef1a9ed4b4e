import { readConfigSchema, type KeySpec } from '../config';
import { loadNotifyConfig } from '../notify/notify-config';
import { SystemRepository } from '../system/system-repository';
import type { Wiring, WiringDeps } from '../wiring';
import { createHandoverAudit } from './handover-audit';
import { handOverAtMajority } from './majority-handover';
import { purgeRecords } from './purge-job';
import { schedulePurge, type PurgeSchedule } from './purge-schedule';
import { createRecordLifeHooks } from './record-life-hooks';
import { recordLifeOperations } from './record-life-operations';

/** Settings of the record-life module, in the shape of `src/config.ts`. */
export const recordLifeConfigSchema = {
  purgeIntervalMs: {
    env: 'PURGE_INTERVAL_MS',
    doc: 'How often the server purges records closed over 10 years ago and sends purge-approaching notices (ms; 0 = never, use npm run records:purge)',
    default: 86_400_000,
    parse: (raw: string): number => {
      const n = Number(raw);
      if (!Number.isInteger(n) || n < 0 || n > 2_147_483_647) throw new Error('expected an integer from 0 to 2147483647');
      return n;
    },
  },
  majorityIntervalMs: {
    env: 'MAJORITY_HANDOVER_INTERVAL_MS',
    doc: 'How often the server hands the records of patients who turned 18 over to them (ms; 0 = never, use npm run records:majority)',
    default: 3_600_000,
    parse: (raw: string): number => {
      const n = Number(raw);
      if (!Number.isInteger(n) || n < 0 || n > 2_147_483_647) throw new Error('expected an integer from 0 to 2147483647');
      return n;
    },
  },
} satisfies Record<string, KeySpec<unknown>>;

/** Test seams: the clock of closures, reactivations and the purge job. */
export interface RecordLifeWiringOptions {
  clock?: () => Date;
}

/**
 * Plugs the record's life into the app: `Patient/{id}/$close` and `$reactivate`, the hooks that keep the closure
 * date and reason and send the closure notices, the purge job (every PURGE_INTERVAL_MS, started with the app) and the
 * majority hand-over job (every MAJORITY_HANDOVER_INTERVAL_MS).
 * Mount after the access wiring: its afterWrite completes the access_record row the access hooks write.
 */
export async function recordLifeWiring(deps: WiringDeps, options: RecordLifeWiringOptions = {}): Promise<Wiring> {
  const clock = options.clock ?? (() => new Date());
  const { purgeIntervalMs, majorityIntervalMs } = readConfigSchema(recordLifeConfigSchema, deps.env, 'record life configuration');
  const { recordUrl } = loadNotifyConfig(deps.env);
  // The same chain secret as the audit wiring's: the hand-over's events must pass `$verify`.
  const audit = createHandoverAudit({ secret: deps.env.AUDIT_CHAIN_SECRET || undefined });
  // The purge and the hand-over are background jobs with no request and no actor: system work, on the named system
  // repository (never a raw connection).
  const system = new SystemRepository(deps.db);
  let schedule: PurgeSchedule | undefined;
  let majority: PurgeSchedule | undefined;
  return {
    hooks: [createRecordLifeHooks({ clock, recordUrl })],
    operations: recordLifeOperations(clock),
    start: () => {
      schedule = schedulePurge({
        intervalMs: purgeIntervalMs,
        run: () => purgeRecords(system, { now: clock(), recordUrl, logger: deps.logger }),
        logger: deps.logger,
      });
      majority = schedulePurge({
        intervalMs: majorityIntervalMs,
        run: () => handOverAtMajority(system, { now: clock(), recordUrl, logger: deps.logger, audit }),
        logger: deps.logger,
        name: 'majority hand-over',
      });
    },
    close: async () => {
      await schedule?.stop();
      await majority?.stop();
    },
  };
}
