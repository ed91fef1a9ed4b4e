import type { RequestContext } from '../fhir/context';
import { parseSearch } from '../fhir/search/parse';
import type { FhirService, OperationDefinitionEntry } from '../fhir/service';
import type { Statements } from '../store/db';
import type { StatementsOf } from '../store/scoped-repository';
import { assertTrailOwner } from './trail-owner';
import { toVerifyParameters, verifyChain, type VerifyResult } from './verify-chain';

/** Verifies the chains of the given patients in turn; stops at the first broken link. */
async function verifyPatients(db: Statements, patientIds: string[], secret: string | undefined): Promise<VerifyResult> {
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
 * The result as the caller may see it: the chain is walked whole, but its events hidden from him (accesses to a
 * document flagged INVISIBLE_PATIENT, hidden from the patient) must not show through — `events` counts the events he
 * reads (his trail's total), and a broken link is named (event, sequence) only if he reads that event.
 */
async function shownTo(svc: FhirService, ctx: RequestContext, patientIds: string[], result: VerifyResult): Promise<VerifyResult> {
  let events = 0;
  for (const patientId of patientIds) {
    events += (await svc.repo.search(ctx, parseSearch('AuditEvent', [['patient', patientId], ['_summary', 'count']], true))).total ?? 0;
  }
  let broken = result.broken;
  if (broken?.eventId && !(await svc.repo.read(ctx, 'AuditEvent', broken.eventId).then(() => true, () => false))) {
    // Its id, position and the words naming them would point at an event hidden from him: the reason alone is told.
    broken = { chain: broken.chain, reason: broken.reason, detail: 'an event of this trail that you cannot read does not match the chain' };
  }
  return { ...result, events, broken };
}

/**
 * `GET /AuditEvent/$verify[?patient=<id>]`: walks the caller's own hash chains (a patient's, or those of
 * the records a guardian acts for) and answers Parameters (`intact`, `events`, `chains`, and the first broken
 * link). Professionals get 403. The check itself is audited in the patient's trail.
 */
export function verifyOperation(options: { secret?: string; connection: StatementsOf }): OperationDefinitionEntry {
  return {
    name: '$verify',
    level: 'type',
    resourceType: 'AuditEvent',
    methods: ['GET'],
    documentation: 'Verifies the hash chain of the caller\'s audit trail and reports the first broken link',
    async handler(svc, ctx, req) {
      const requested = req.query.find(([name]) => name === 'patient')?.[1];
      const patientIds = assertTrailOwner(ctx, requested, 'the access trail', 'AuditEvent');
      // Statements on the request's connection (injected by the wiring): inside a transaction Bundle, read through that transaction
      // (PGlite has one connection). The chain is read whole, beneath the access predicate: only its owner asks.
      const result = await shownTo(svc, ctx, patientIds, await verifyPatients(options.connection(svc.repo), patientIds, options.secret));
      const reads = patientIds.map((patientId) => ({ interaction: 'operation' as const, operation: 'verify', resourceType: 'AuditEvent', resources: [], query: `patient=${encodeURIComponent(patientId)}` }));
      return { status: 200, json: JSON.stringify(toVerifyParameters(result)), reads };
    },
  };
}
