import os from 'node:os';
import { communicationSearchHook } from '../notify/communication-search';
import { createNotify } from '../notify/create-notify';
import { loadNotifyConfig } from '../notify/notify-config';
import { statementsOf, SystemRepository, writeTransactionOf } from '../system/system-repository';
import type { Wiring, WiringDeps } from '../wiring';
import { countOutbox } from '../notify/outbox-store';
import { type AuditHooks, createAuditHooks } from './audit-hooks';
import { AuditSystemStore } from './audit-system-store';
import { transactionScopeHook } from './transaction-scope';
import { verifyOperation } from './verify-operation';

/** Test seams of the audit wiring. */
export interface AuditWiringOptions {
  clock?: () => Date;
  /** Receives the audit hooks once built (tests and tools that record logins or flush). */
  onHooks?: (hooks: AuditHooks) => void;
}

/**
 * Plugs the audit trail and the notifications into the app: the audit hooks (writes audited in their own
 * transaction, reads through a group commit, denials, 405 on AuditEvent writes), the transaction scope that
 * lets reads inside a transaction Bundle be audited through it, `AuditEvent/$verify`, the patient's notice
 * view (`Communication?patient=`), and the outbox dispatcher (started with the app, drained on close).
 */
export async function auditWiring(deps: WiringDeps, options: AuditWiringOptions = {}): Promise<Wiring> {
  const secret = deps.env.AUDIT_CHAIN_SECRET || undefined;
  if (!secret) deps.logger.warn('AUDIT_CHAIN_SECRET is not set: the audit chain uses plain SHA-256, which anyone with database access can recompute', {});
  // The outbox and its dispatcher are system work: they hold the named system repository, not the raw connection.
  const system = new SystemRepository(deps.db);
  const notify = createNotify({ system, config: loadNotifyConfig(deps.env), logger: deps.logger, clock: options.clock });
  // The group commit's own transactions and a refusal's look-ups are system work too: the hooks get them as a store
  // bound to the system repository, and the transaction scope only a test of the server's connection.
  const audit = createAuditHooks({
    store: new AuditSystemStore(system),
    source: { id: 'dmp-fhir-adapter', display: 'DMP FHIR server', address: os.hostname() },
    writer: { onAppend: notify.onAppend, secret },
    clock: options.clock,
    flushConcurrency: deps.config.auditFlushConcurrency,
  });
  options.onHooks?.(audit);
  return {
    hooks: [audit, transactionScopeHook(writeTransactionOf), communicationSearchHook({ connection: statementsOf })],
    operations: [verifyOperation({ secret, connection: statementsOf })],
    metrics: (metrics) => {
      metrics.gauge('audit_queue_events', 'AuditEvents of reads waiting for the group commit', () => audit.groupCommit.waiting);
      metrics.gauge('notify_outbox_backlog', 'Notices waiting to be sent (pending or being sent)', () => countOutbox(system, ['pending', 'sending']));
      metrics.gauge('notify_outbox_undeliverable', 'Notices kept because no transport was configured (npm run notices:resend)', () => countOutbox(system, ['undeliverable-config']));
    },
    start: () => notify.dispatcher.start(),
    close: async () => {
      await audit.flush();
      await notify.close();
    },
  };
}
