import type { Resource } from '@medplum/fhirtypes';
import { nationalIdentifiers } from '../access/directory-rules';
import { directoryHolderLocks, namesOneHolder } from '../access/national-identifiers';
import type { Hooks, RequestContext } from '../fhir/context';
import { conflict, FhirError } from '../fhir/errors';
import { NEW_IN_REQUEST_STATE } from '../fhir/new-in-request';
import type { FhirRequest } from '../fhir/request';
import { StateKey } from '../fhir/request-state';
import type { FhirService } from '../fhir/service';
import { or, sql } from '../store/sql';
import { DIRECTORY_MATCHED, holderEntries } from './directory-match';

/** Set by the documents interceptor on an MHD submission (ITI-65, ITI-105) before its transaction runs. */
export const DOCUMENT_SUBMISSION = new StateKey<true>('documents.submission');

/** Set when a submission's transaction met a directory entry created since its look-up (`assertNoEntryCreatedMeanwhile`). */
const DIRECTORY_CHANGED = new StateKey<true>('documents.directoryChanged');

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

    async interceptRequest(svc, ctx, req, next) {
      if (ctx.state.get(DOCUMENT_SUBMISSION) === true) await assertNoEntryCreatedMeanwhile(svc, ctx, req);
      return next(req);
    },
  };
}

/**
 * A submission's directory entries were matched before its transaction (`linkKnownDirectoryEntries`, unlocked: a known
 * author must not serialise a lab's every report), and its conditional creates then found what they found (ids drawn
 * before any write). Inside the transaction, before each directory create runs, the holders' locks are taken (as every
 * directory create takes them, `directory-rules.ts`) and the entries of that person or structure looked up again by the
 * system: the entry the transaction links to (or creates) must be the only one, and the same holder — else an entry was
 * created directly in between, and the transaction is given up (409, rolled back) and the submission run once more
 * (`runOnceMoreIfDirectoryChanged`), matched afresh. Before: such an entry gave two entries of one person, or became
 * the document's custodian while naming another structure's SIRET (`test/api/access/directory-create-race.test.ts`).
 */
async function assertNoEntryCreatedMeanwhile(svc: FhirService, ctx: RequestContext, req: FhirRequest): Promise<void> {
  const resource = req.body as Resource | undefined;
  if (req.method !== 'POST' || req.assignedId === undefined || !req.headers.ifNoneExist || req.segments.length !== 1) return;
  if (!resource || Buffer.isBuffer(resource) || Array.isArray(resource) || !DIRECTORY_MATCHED.has(resource.resourceType)) return;
  const type = resource.resourceType;
  const keys = nationalIdentifiers(resource);
  if (!keys.length || !namesOneHolder(keys)) return;
  for (const key of directoryHolderLocks(type, keys)) await svc.repo.lockKey(key);
  const found = await holderEntries(svc, ctx, type, keys);
  const created = ctx.state.get(NEW_IN_REQUEST_STATE)?.has(`${type}/${req.assignedId}`) === true;
  if (!found.length || (found.length === 1 && found[0].id === req.assignedId && (created || found[0].sameHolder))) return;
  ctx.state.set(DIRECTORY_CHANGED, true);
  throw conflict(`The directory entry of ${keys[0]} changed while this submission was filed: send it again`);
}

/**
 * Runs a submission, and once more when its transaction met a directory entry created since its look-up (the second run
 * matches it afresh: linked, or named by identifier when it names someone else too).
 */
export async function runOnceMoreIfDirectoryChanged<T>(ctx: RequestContext, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if (!(err instanceof FhirError) || err.status !== 409 || ctx.state.get(DIRECTORY_CHANGED) !== true) throw err;
    ctx.state.delete(DIRECTORY_CHANGED);
    return run();
  }
}
