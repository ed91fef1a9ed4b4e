import type { Hooks, RequestContext } from '../fhir/context';
import { StateKey } from '../fhir/request-state';
import { or, sql } from '../store/sql';

/** Set by the documents interceptor on an MHD submission (ITI-65, ITI-105) before its transaction runs. */
export const DOCUMENT_SUBMISSION = new StateKey<true>('documents.submission');

/** Marks a request as a document submission: its directory entries are matched by the system (see directoryLookupHooks). */
export function markDocumentSubmission(ctx: RequestContext): void {
  ctx.state.set(DOCUMENT_SUBMISSION, true);
}

/**
 * Inside a document submission's transaction, the conditional creates and references of directory entries
 * (Practitioner, Organization, matched on their national identifiers) see every entry of that type, whoever the caller,
 * as `$import` does (directory-match.ts `matchDirectoryEntry`): the core's conditional create takes its lock on the criteria
 * and then searches through the caller's lookup predicate, in which a caller that reads no directory (the Assurance
 * Maladie) finds nothing — two concurrent submissions naming the same new professional then created two entries. Runs
 * after the access module's authorize (hooks run in wiring order), only widening the look-up to directory rows.
 */
export function directoryLookupHooks(): Hooks {
  return {
    async authorize(ctx, op) {
      if (ctx.state.get(DOCUMENT_SUBMISSION) !== true) return;
      if (op.interaction !== 'transaction' && !(op.interaction === 'create' && (op.resourceType === 'Practitioner' || op.resourceType === 'Organization'))) return;
      ctx.lookupAccess = or([ctx.lookupAccess ?? ctx.access, sql`r.type IN ('Practitioner', 'Organization')`]);
    },
  };
}
