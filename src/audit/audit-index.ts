import type { AuditEvent, Coding, Reference } from '@medplum/fhirtypes';
import { SYSTEM, PURPOSE_DISPLAY } from './audit-codes';
import type { AuditEventInput } from './audit-event-builder';

/** The AuditEvent search parameters that have index rows (the others are refused with 400). */
export const AUDIT_SEARCH_PARAMS: ReadonlySet<string> = new Set(['patient', 'date', 'agent', 'action', 'purpose']);

/** Search index rows of one resource, in the shapes of the core's idx_* tables. */
export interface IndexRows {
  tokens: { param: string; system: string | null; code: string | null; text: string | null }[];
  references: { param: string; targetType: string; targetId: string }[];
}

function splitReference(reference: string): { targetType: string; targetId: string } {
  const m = /^([A-Z][A-Za-z]+)\/([^/]+)(?:\/_history\/.*)?$/.exec(reference);
  return m ? { targetType: m[1], targetId: m[2] } : { targetType: '', targetId: reference };
}

/**
 * The index rows of the event built from `input`, derived from the input itself: the same rows as
 * `buildAuditIndexRows(buildAuditEvent(input))` (`test/unit/audit/audit-index.test.ts` compares them over every kind
 * of event), without building the BALP JSON the stored form no longer keeps — building it only to read three fields
 * back cost the writer ~10 µs per event, on every audited read. What the builder puts where, and so what this reads:
 * `action`; the purpose coding (`purposeOfEvent`, repeated as the user agent's `purposeOfUse`: one row); the user
 * agent's `who` and its organisation's (the client and server agents carry identifiers, no reference).
 */
export function auditIndexRowsOf(input: AuditEventInput): IndexRows {
  const tokens: IndexRows['tokens'] = [{ param: 'action', system: SYSTEM.action, code: input.action, text: null }];
  if (input.purpose?.code) tokens.push({ param: 'purpose', system: SYSTEM.actReason, code: input.purpose.code, text: PURPOSE_DISPLAY[input.purpose.code] ?? null });
  const references: IndexRows['references'] = [];
  for (const reference of [input.agent?.reference, input.agent?.organization?.reference]) {
    if (reference) references.push({ param: 'agent', ...splitReference(reference) });
  }
  return { tokens, references };
}

/**
 * Index rows for the AuditEvent search parameters of a patient's trail (agent, action, purpose; `patient` and
 * `date` are answered from the row's compartment and last_updated columns: `registerAuditEventStorage`). The audit writer stores them in the statement that stores the event, so
 * AuditEvents are searchable without passing through the core's write path. Kept deliberately small: every
 * read writes an AuditEvent, and each index row costs a heap row plus two or three b-tree entries on that
 * path (an `entity` row per resource shown would multiply them by the page size of a search); searches on
 * the other AuditEvent parameters are refused rather than answered from missing rows (`audit-hooks.ts`).
 */
export function buildAuditIndexRows(event: AuditEvent): IndexRows {
  // The definition from the served JSON; the writer uses `auditIndexRowsOf`, tested equal to it.
  const rows: IndexRows = { tokens: [], references: [] };
  const token = (param: string, coding: Coding | undefined): void => {
    if (coding?.code) rows.tokens.push({ param, system: coding.system ?? null, code: coding.code, text: coding.display ?? null });
  };
  const ref = (param: string, value: Reference | undefined): void => {
    if (value?.reference) rows.references.push({ param, ...splitReference(value.reference) });
  };

  token('action', event.action ? { system: 'http://hl7.org/fhir/audit-event-action', code: event.action } : undefined);
  for (const p of event.purposeOfEvent ?? []) for (const c of p.coding ?? []) token('purpose', c);

  for (const agent of event.agent ?? []) {
    ref('agent', agent.who);
    if (agent.requestor) for (const p of agent.purposeOfUse ?? []) for (const c of p.coding ?? []) token('purpose', c);
  }
  // The purpose is stated both on the event and on the user agent: index it once.
  const seen = new Set<string>();
  rows.tokens = rows.tokens.filter((t) => {
    const key = `${t.param}|${t.system}|${t.code}`;
    return seen.has(key) ? false : (seen.add(key), true);
  });
  return rows;
}
