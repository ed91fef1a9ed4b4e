import type { Express } from 'express';
import type { AppOptions } from './app';
import type { AppMetrics } from './http/metrics';
import type { FhirService } from './fhir/service';
import { accessWiring } from './access/wiring';
import type { AuditHooks } from './audit/audit-hooks';
import { auditWiring } from './audit/wiring';
import { documentsWiring } from './documents/wiring';
import { recordLifeWiring } from './records/wiring';
import type { Wiring, WiringDeps } from './wiring';

/**
 * The production composition: audit and notifications first (their authorize answers 405 to AuditEvent writes
 * before access control would answer 403; they record what access allowed or refused), then access control
 * (it establishes the actor and the access predicate), then the record's life (closure, reactivation, purge), then
 * document intake.
 */
export async function composeApp(deps: WiringDeps): Promise<Omit<AppOptions, 'config' | 'db'> & { start(service: FhirService): void; close(): Promise<void> }> {
  let audit: AuditHooks | undefined;
  const parts: Wiring[] = [
    await auditWiring(deps, { onHooks: (hooks) => (audit = hooks) }),
    await accessWiring(deps, {
      onLogin: (ctx, info) => audit?.recordLogin(ctx, info) ?? Promise.resolve(),
      onAccountEvent: (ctx, info) => audit?.recordAccountEvent(ctx, info) ?? Promise.resolve(),
    }),
    await recordLifeWiring(deps),
    await documentsWiring(deps),
  ];
  return {
    logger: deps.logger,
    hooks: parts.flatMap((p) => p.hooks ?? []),
    operations: parts.flatMap((p) => p.operations ?? []),
    profiles: Object.assign({}, ...parts.map((p) => p.profiles ?? {})),
    routes: (app: Express, service: FhirService) => parts.forEach((p) => p.routes?.(app, service)),
    metrics: (metrics: AppMetrics) => parts.forEach((p) => p.metrics?.(metrics)),
    start: (service: FhirService) => parts.forEach((p) => p.start?.(service)),
    close: async () => {
      for (const p of [...parts].reverse()) await p.close?.();
    },
  };
}
