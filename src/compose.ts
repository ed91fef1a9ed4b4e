import type { Express } from 'express';
import type { AppOptions } from './app';
import type { AppMetrics } from './http/metrics';
import type { FhirService } from './fhir/service';
import { accessWiring } from './access/wiring';
import type { AuditHooks } from './audit/audit-hooks';
import { auditWiring } from './audit/wiring';
import { documentsWiring } from './documents/wiring';
import { portalWiring } from './portal/wiring';
import { recordLifeWiring } from './records/wiring';
import { smartWiring } from './smart/wiring';
import type { Wiring, WiringDeps } from './wiring';
import { describeInsSystems, loadInsSystemsPolicy } from './validation/ins-test-systems';

/**
 * The production composition: the SMART authorization server's routes (CORS, discovery, authorize, token), then
 * audit and notifications (their authorize answers 405 to AuditEvent writes
 * before access control would answer 403; they record what access allowed or refused), then access control
 * (it establishes the actor and the access predicate), then the record's life (closure, reactivation, purge), then
 * document intake.
 */
export async function composeApp(deps: WiringDeps): Promise<Omit<AppOptions, 'config' | 'db'> & { start(service: FhirService): void; close(): Promise<void> }> {
  let audit: AuditHooks | undefined;
  // Said once at start: which INS systems the writes, CDA headers and look-ups accept (the test NIR in production?).
  const insSystems = describeInsSystems(loadInsSystemsPolicy(deps.env));
  deps.logger[insSystems.level](insSystems.message);
  const parts: Wiring[] = [
    // First: its CORS middleware must answer preflights before any other route or the FHIR API asks for a token.
    await smartWiring(deps, { onLogin: (ctx, info) => audit?.recordLogin(ctx, info) ?? Promise.resolve() }),
    await auditWiring(deps, { onHooks: (hooks) => (audit = hooks) }),
    await accessWiring(deps, {
      onLogin: (ctx, info) => audit?.recordLogin(ctx, info) ?? Promise.resolve(),
      onAccountEvent: (ctx, info) => audit?.recordAccountEvent(ctx, info) ?? Promise.resolve(),
    }),
    await recordLifeWiring(deps),
    await documentsWiring(deps),
    await portalWiring(deps),
  ];
  return {
    logger: deps.logger,
    hooks: parts.flatMap((p) => p.hooks ?? []),
    operations: parts.flatMap((p) => p.operations ?? []),
    profiles: Object.assign({}, ...parts.map((p) => p.profiles ?? {})),
    oauthUris: parts.find((p) => p.oauthUris)?.oauthUris,
    routes: (app: Express, service: FhirService) => parts.forEach((p) => p.routes?.(app, service)),
    metrics: (metrics: AppMetrics) => parts.forEach((p) => p.metrics?.(metrics)),
    start: (service: FhirService) => parts.forEach((p) => p.start?.(service)),
    close: async () => {
      for (const p of [...parts].reverse()) await p.close?.();
    },
  };
}
