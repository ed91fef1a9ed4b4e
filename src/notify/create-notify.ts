import type { AppendListener } from '../audit/audit-writer';
import type { SystemRepository } from '../system/system-repository';
import { createAuditNotifier } from './audit-notifier';
import { Dispatcher, type NotifyLogger } from './dispatcher';
import type { NotifyConfig } from './notify-config';
import { createTransports } from './transports/create-transports';

/** The notification module wired from its configuration. */
export interface Notify {
  /** Give to `createAuditHooks({ writer: { onAppend } })`: queues notices in the audit event's transaction. */
  onAppend: AppendListener;
  /** Background delivery; `start()` after the server listens, `close()` on shutdown. */
  dispatcher: Dispatcher;
  close(): Promise<void>;
}

/** Builds the notifier and the dispatcher with the transports the configuration enables. */
export function createNotify(options: { system: SystemRepository; config: NotifyConfig; logger: NotifyLogger; clock?: () => Date }): Notify {
  const { config } = options;
  const transports = createTransports(config);
  for (const channel of ['email', 'sms'] as const) {
    if (!transports[channel]) options.logger.warn(`notifications: no ${channel} transport configured; such notices will be logged and kept as undeliverable`, {});
  }
  const dispatcher = new Dispatcher({
    system: options.system,
    transports,
    logger: options.logger,
    clock: options.clock,
    maxAttempts: config.maxAttempts,
    baseDelayMs: config.baseDelayMs,
    maxDelayMs: config.maxDelayMs,
    leaseMs: config.leaseMs,
    pollMs: config.pollMs,
  });
  return {
    onAppend: createAuditNotifier({ recordUrl: config.recordUrl }),
    dispatcher,
    async close() {
      await dispatcher.stop();
      await Promise.all(Object.values(transports).map((t) => t?.close?.()));
    },
  };
}
