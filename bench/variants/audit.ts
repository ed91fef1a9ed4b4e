import { createAuditHooks } from '../../src/audit/audit-hooks';
import { AuditSystemStore } from '../../src/audit/audit-system-store';
import { transactionScopeHook } from '../../src/audit/transaction-scope';
import { createApp } from '../../src/app';
import { loadConfig } from '../../src/config';
import type { Hooks } from '../../src/fhir/context';
import { createAuditNotifier } from '../../src/notify/audit-notifier';
import { PgDb } from '../../src/store/pg-db';
import { benchOpenAccess } from './open-access';
import { auditCounters } from './audit-counters';
import type { BenchVariant } from './variant';
import { SystemRepository, writeTransactionOf } from '../../src/system/system-repository';

/** Every request comes from one professional (no token check: this variant isolates the cost of audit). */
const benchPractitioner: Hooks = {
  async authenticate(_request, ctx) {
    ctx.actor = { kind: 'practitioner', id: '10000000001', display: 'Dr Bench', claims: { rpps: '10000000001', jti: 'bench-session' } };
  },
};

/**
 * `core` plus the audit trail as production wires it: every read and search waits for its hash-chained
 * AuditEvent (group commit, one chain per patient) and the notifier's first-access bookkeeping in the same
 * transaction. Compare with `core` (audit off) in the same run: target audit / core ≥ 0.7 for read and search.
 */
export const auditVariant: BenchVariant = {
  name: 'audit',
  description: 'core + audit hooks (group-committed, hash-chained AuditEvents per read/search, first-access notices), PgDb',
  async build(databaseUrl) {
    const config = loadConfig({}, { databaseUrl });
    const db = new PgDb(databaseUrl, config.dbPoolSize);
    const audit = createAuditHooks({
      store: new AuditSystemStore(new SystemRepository(db)),
      source: { id: 'dmp-fhir-adapter', display: 'DMP FHIR server (bench)' },
      writer: { onAppend: createAuditNotifier({ recordUrl: 'https://www.monespacesante.fr' }), secret: 'bench-chain-secret' },
      // Tuning runs only: the production default applies when unset.
      flushConcurrency: process.env.AUDIT_FLUSH_CONCURRENCY ? Number(process.env.AUDIT_FLUSH_CONCURRENCY) : undefined,
    });
    const { app } = createApp({ config, db, hooks: [benchOpenAccess(), benchPractitioner, audit, transactionScopeHook(writeTransactionOf)] });
    return {
      handler: app,
      close: async () => {
        await audit.flush();
        await db.close();
      },
      counters: auditCounters([audit]),
    };
  },
};
