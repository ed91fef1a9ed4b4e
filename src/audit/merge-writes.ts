import type { AuditEventInput } from './audit-event-builder';

/**
 * An event a transaction owes, with the key of the events it may be told together with (`together`): the writes of
 * one request in one record about one document — the DocumentReference, its Binary and the resources extracted from
 * it — or about no document. Left out, the event stays on its own.
 */
export interface OwedEvent {
  input: AuditEventInput;
  together?: string;
}

/** Everything an event says but the resources it names and its instant: events equal on it say the same thing. */
function statementOf(input: AuditEventInput): string {
  const { recorded: _recorded, resources: _resources, resourceType: _type, ...rest } = input;
  return JSON.stringify(rest);
}

/**
 * One AuditEvent per run of consecutive writes that say the same thing (same request, agent, purpose, action, record,
 * document), naming all their resources, as reads are already told (one event per record touched): a lab report's
 * import is "the laboratory added this report", one line in the patient's trail instead of 18, and one event to chain,
 * hash and store instead of 18 (issue 13: the audit writes were half of PostgreSQL's time per imported document).
 * Runs are consecutive only, so each chain keeps the order of what happened; the event takes the first one's instant.
 */
export function mergeOwed(owed: readonly OwedEvent[]): AuditEventInput[] {
  const merged: AuditEventInput[] = [];
  let last: { together?: string; statement?: string } = {};
  for (const event of owed) {
    const previous = merged[merged.length - 1];
    // Each event's statement is written out once (a lab report's import: 18), and only when it could merge.
    const statement = event.together !== undefined ? statementOf(event.input) : undefined;
    if (statement !== undefined && event.together === last.together && statement === last.statement && previous) {
      merged[merged.length - 1] = {
        ...previous,
        resources: [...(previous.resources ?? []), ...(event.input.resources ?? [])],
        resourceType: previous.resourceType === event.input.resourceType ? previous.resourceType : undefined,
      };
    } else {
      merged.push(event.input);
    }
    last = { together: event.together, statement };
  }
  return merged;
}
