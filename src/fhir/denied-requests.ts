import type { DeniedInfo, Interaction, RequestContext } from './context';
import { FhirError, HiddenRefusal } from './errors';
import type { FhirRequest } from './request';
import { StateKey } from './request-state';

/**
 * The refusals (401/403) met while dispatching one HTTP request, innermost first: a Bundle entry refused inside a
 * batch (whose answer is still 200) or inside a transaction (which fails whole) is kept with the entry's own request,
 * so that audit files it in the trail of the patient that entry concerns, not as an unfiled Bundle.
 */
const DENIED_STATE = new StateKey<DeniedInfo[]>('fhir.denied');

/** True for the errors that `onDenied` hears of: 401, 403, and refusals answered as absence. */
export function isDenial(err: unknown): err is FhirError {
  return err instanceof HiddenRefusal || (err instanceof FhirError && (err.status === 401 || err.status === 403));
}

/** How many refusals the request has met so far. */
export function denialCount(ctx: RequestContext): number {
  return ctx.state.get(DENIED_STATE)?.length ?? 0;
}

/** Keeps the refusal of `req` (the request or Bundle entry being dispatched). */
export function recordDenial(ctx: RequestContext, req: FhirRequest, err: FhirError, interaction: Interaction | undefined): void {
  const [resourceType, id] = req.segments;
  const info: DeniedInfo = { interaction, resourceType, id: id && !/^[_$]/.test(id) ? id : undefined, status: err.status, reason: err instanceof HiddenRefusal ? err.deniedReason : err.message, request: req };
  ctx.state.getOrSet(DENIED_STATE, () => []).push(info);
}

/** The refusals kept so far, emptied (each is told to the onDenied hooks once). */
export function takeDenials(ctx: RequestContext): DeniedInfo[] {
  const denials = ctx.state.get(DENIED_STATE) ?? [];
  ctx.state.delete(DENIED_STATE);
  return denials;
}
