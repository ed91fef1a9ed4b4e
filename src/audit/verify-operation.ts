import type { OperationDefinitionEntry } from '../fhir/service';
import type { Db } from '../store/db';
import type { ConnectionOf } from '../store/scoped-repository';
import { assertTrailOwner } from './trail-owner';
import { toVerifyParameters, verifyChain, type VerifyResult } from './verify-chain';

/** Verifies the chains of the given patients in turn; stops at the first broken link. */
async function verifyPatients(db: Db, patientIds: string[], secret: string | undefined): Promise<VerifyResult> {
  const total: VerifyResult = { intact: true, events: 0, chains: 0 };
  for (const chain of [...patientIds].sort()) {
    const result = await verifyChain(db, { chain, secret });
    total.events += result.events;
    total.chains += result.chains;
    if (!result.intact) return { ...total, intact: false, broken: result.broken };
  }
  return total;
}

/**
 * `GET /AuditEvent/$verify[?patient=<id>]`: walks the caller's own hash chains (a patient's, or those of
 * the records a guardian acts for) and answers Parameters (`intact`, `events`, `chains`, and the first broken
 * link). Professionals get 403. The check itself is audited in the patient's trail.
 */
export function verifyOperation(options: { secret?: string; connection: ConnectionOf }): OperationDefinitionEntry {
  return {
    name: '$verify',
    level: 'type',
    resourceType: 'AuditEvent',
    methods: ['GET'],
    documentation: 'Verifies the hash chain of the caller\'s audit trail and reports the first broken link',
    async handler(svc, ctx, req) {
      const requested = req.query.find(([name]) => name === 'patient')?.[1];
      const patientIds = assertTrailOwner(ctx, requested, 'the access trail');
      // The request's connection (injected by the wiring): inside a transaction Bundle, read through that transaction
      // (PGlite has one connection). The chain is read whole, beneath the access predicate: only its owner asks.
      const result = await verifyPatients(options.connection(svc.repo), patientIds, options.secret);
      const reads = patientIds.map((patientId) => ({ interaction: 'operation' as const, operation: 'verify', resourceType: 'AuditEvent', resources: [], query: `patient=${encodeURIComponent(patientId)}` }));
      return { status: 200, json: JSON.stringify(toVerifyParameters(result)), reads };
    },
  };
}
