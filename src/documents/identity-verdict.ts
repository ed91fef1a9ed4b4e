import type { Hooks, RequestContext } from '../fhir/context';
import { FhirError } from '../fhir/errors';
import { StateKey } from '../fhir/request-state';

/**
 * The identity-trait refusals of one filing ($import, an ITI-65 submission, an ITI-105 publication), held until every
 * write of the filing is authorised. The comparison of a document's traits with the record's (birth date, sex, birth
 * name, first name) says whether they agree: answered before the write was judged, it told a sender that may not file
 * there (an author the patient never authorised) the record's traits — 403 when its header agreed, 422 when it did not,
 * the birth date in ~31 tries (attack sweep 11). So the refusal is kept here and thrown just before the filing's
 * transaction commits, once every write passed its checks: a filing refused for another reason reads the same
 * whatever the traits say, and nothing of a refused one is committed.
 */
interface Verdict {
  /** Owed-work key of this filing (one per filing: a transaction may carry several ITI-105 publications). */
  key: string;
  refusals: FhirError[];
}

const VERDICT_STATE = new StateKey<Verdict>('documents.identityVerdict');
let filings = 0;

/**
 * Runs a filing with its identity refusals held (see `deferIdentityRefusal`). Run inside the filing's transaction
 * when it has one of its own ($import), around the request that opens it otherwise (ITI-65, ITI-105): a refusal still
 * held when `run` returns means that no write of the filing reached its commit (nothing written, or the transaction
 * it is part of has not committed yet), and it is thrown then.
 */
export async function withIdentityVerdict<T>(ctx: RequestContext, run: () => Promise<T>): Promise<T> {
  const outer = ctx.state.get(VERDICT_STATE);
  const verdict: Verdict = { key: `documents.identityVerdict.${(filings += 1)}`, refusals: [] };
  ctx.state.set(VERDICT_STATE, verdict);
  try {
    const result = await run();
    assertNoRefusal(verdict);
    return result;
  } finally {
    if (outer) ctx.state.set(VERDICT_STATE, outer);
    else ctx.state.delete(VERDICT_STATE);
  }
}

function assertNoRefusal(verdict: Verdict): void {
  if (verdict.refusals.length) throw verdict.refusals[0];
}

/**
 * Holds an identity-trait refusal until the filing's writes are authorised (`withIdentityVerdict`). Outside a filing
 * (a plain create of a List or DocumentReference: its own write was authorised before this hook's check) it is
 * thrown at once. Fails closed: `check` throwing anything but a FhirError is thrown as it is.
 */
export function deferIdentityRefusal(ctx: RequestContext, check: () => void): void {
  const verdict = ctx.state.get(VERDICT_STATE);
  if (!verdict) return check();
  try {
    check();
  } catch (err) {
    if (!(err instanceof FhirError)) throw err;
    verdict.refusals.push(err);
  }
}

/**
 * Every write of a filing owes its transaction the verdict: thrown before commit (after every entry was written and
 * judged, audit included), so that the filing rolls back whole. Placed with the documents hooks, after the access
 * hooks: a write refused by them never reaches it.
 */
export function identityVerdictHooks(): Hooks {
  return {
    async beforeWrite(tx, ctx) {
      const verdict = ctx.state.get(VERDICT_STATE);
      if (verdict) tx.owe(verdict.key, async () => assertNoRefusal(verdict));
    },
  };
}
