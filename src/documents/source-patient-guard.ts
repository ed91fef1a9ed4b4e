import type { Patient, Resource } from '@medplum/fhirtypes';
import { SYSTEM_STATE } from '../access/access-hooks';
import type { Hooks, RequestContext } from '../fhir/context';
import { unprocessable } from '../fhir/errors';
import { StateKey } from '../fhir/request-state';
import { sql } from '../store/sql';
import { INS_SYSTEMS } from '../validation/ins';

/** Set by `$import`: its DocumentReference's source patient is the CDA header's, which was matched to the record. */
const IMPORT_PLAN = new StateKey<true>('documents.import-plan');

/** Marks a `$import` request: the source patient of what it writes is the CDA header's, already matched. */
export function markImportPlan(ctx: RequestContext): void {
  ctx.state.set(IMPORT_PLAN, true);
}

/** The INS values carried by the contained Patients of a DocumentReference or List (the source's patient). */
function containedIns(resource: Resource | undefined): string[] {
  if (resource?.resourceType !== 'DocumentReference' && resource?.resourceType !== 'List') return [];
  return (resource.contained ?? []).filter((c): c is Patient => c.resourceType === 'Patient')
    .flatMap((p) => (p.identifier ?? []).filter((i) => INS_SYSTEMS.includes(i.system ?? '') && i.value).map((i) => i.value as string));
}

/**
 * The patient a document's metadata names — the contained Patient of a DocumentReference (`context.sourcePatientInfo`)
 * or of a SubmissionSet List (`ihe-sourcePatientId`) — carries no INS that the record it is filed in does not carry: a
 * document whose source says it is about another person is not filed in this record (attack sweep 5: a PDF filed in
 * p1 with p2's INS there was accepted, and p1's readers then read p2's INS). Every channel (ITI-65, ITI-105, a plain
 * create, update or patch) meets it: 422 naming the element; the answer does not say whether that INS has a record
 * here. The server's own writes and `$import` (whose source patient is the CDA header's, matched to the record) are
 * not concerned.
 */
export function sourcePatientGuard(): Hooks {
  return {
    async beforeWrite(tx, ctx, event) {
      if (event.interaction === 'delete' || ctx.state.get(SYSTEM_STATE) === true || ctx.state.get(IMPORT_PLAN) === true) return;
      const named = containedIns(event.resource);
      if (!named.length) return;
      const { rows } = event.compartment
        ? await tx.query<{ text: string }>(sql`SELECT text FROM resource WHERE type = 'Patient' AND id = ${event.compartment} AND NOT deleted`)
        : { rows: [] };
      const record = rows[0] ? (JSON.parse(rows[0].text) as Patient) : undefined;
      const own = new Set((record?.identifier ?? []).filter((i) => INS_SYSTEMS.includes(i.system ?? '')).map((i) => i.value));
      const foreign = named.find((value) => !own.has(value));
      if (foreign === undefined) return;
      const path = `${event.resourceType}.contained`;
      const text = `${path}: the source's patient carries the INS ${foreign}, which is not the INS of the record this ${event.resourceType} is filed in (its subject): a document is filed only in the record of the patient it names`;
      throw unprocessable([{ severity: 'error', code: 'business-rule', diagnostics: text, details: { text }, expression: [path] }]);
    },
  };
}
