import type { RequestContext, WriteEvent } from '../fhir/context';
import { StateKey } from '../fhir/request-state';

/**
 * An account procedure a write carries out besides itself (issue 12: a guardian link that retires the holder's
 * activation code), recorded as its own AuditEvent of the holder's trail beside the write's, in the same transaction.
 */
export interface AccountEventOfWrite {
  /** The write it rides on, as `Type/id`: recorded when that write is audited. */
  write: string;
  /** The record whose holder's credentials changed (the trail it goes to). */
  patientId: string;
  /** Subtype code under `urn:dmp-fhir-adapter:account-procedure` (e.g. `activation-code-retired`). */
  operation: string;
  /** Details of the Patient entity: machine-readable facts, and a `summary` in French that the patient reads. */
  details: { type: string; valueString: string }[];
}

const ACCOUNT_EVENTS_OF_WRITE = new StateKey<AccountEventOfWrite[]>('audit.accountEventsOfWrite');

/** Asks the audit to record `event` with the write it names (called by a beforeWrite hook, before that write). */
export function addAccountEventOfWrite(ctx: RequestContext, event: AccountEventOfWrite): void {
  ctx.state.getOrSet(ACCOUNT_EVENTS_OF_WRITE, () => []).push(event);
}

/** The account events riding on this write, removed from the request's state (each is recorded once). */
export function takeAccountEventsOfWrite(ctx: RequestContext, event: WriteEvent): AccountEventOfWrite[] {
  const pending = ctx.state.get(ACCOUNT_EVENTS_OF_WRITE);
  if (!pending?.length) return [];
  const key = `${event.resourceType}/${event.id}`;
  const mine = pending.filter((e) => e.write === key);
  if (mine.length) ctx.state.set(ACCOUNT_EVENTS_OF_WRITE, pending.filter((e) => e.write !== key));
  return mine;
}
