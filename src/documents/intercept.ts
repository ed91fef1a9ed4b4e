import type { Bundle, DocumentReference } from '@medplum/fhirtypes';
import type { Hooks, RequestContext } from '../fhir/context';
import type { FhirRequest, FhirResponse } from '../fhir/request';
import { guardMetadataPatch, isDocumentPatch, withDocumentVisible } from './metadata-update';
import { expandSubmission, type ExpandedSubmission } from './mhd-submission';
import { assertSubmissionSubjects, submissionLookupContext } from './subject-identity';
import { answerResubmission } from './resubmission';
import { tellDocument } from './import-response';
import { linkKnownDirectoryEntries } from './existing-lookup';
import { plainDirectoryCreatesAsConditional } from './client-directory-entries';
import { resolveSubmissionReplacements } from './submission-replacements';
import { markDocumentSubmission, runOnceMoreIfDirectoryChanged } from './submission-directory';
import { markCdaChecked } from './cda-binary-guard';
import { FhirError } from '../fhir/errors';
import { editJsonKeepingNumbers } from '../fhir/json-numbers';
import type { FhirService } from '../fhir/service';
import { documentResponse, isSimplifiedPublish, toProvideBundle } from './simplified-publish';
import { authorRolesContained, withAnswersAt } from './submission-roles';
import { ACTOR_STATE } from '../access/access-hooks';
import { withIdentityVerdict } from './identity-verdict';
import type { InsSystemsPolicy } from '../validation/ins-test-systems';


function isTransaction(req: FhirRequest): boolean {
  const body = req.body as Bundle | undefined;
  return req.method === 'POST' && req.segments.length === 0 && !!body && !Buffer.isBuffer(body) && body.resourceType === 'Bundle' && body.type === 'transaction';
}

/** Keeps one response entry per request entry, in order (MHD), dropping those of the added extracted resources. */
function keepRequestEntries(response: FhirResponse, count: number): FhirResponse {
  if (!response.json) return response;
  // Not JSON.parse + stringify: the resources answered keep their decimals as written (2.050 stays 2.050).
  return { ...response, json: editJsonKeepingNumbers<Bundle>(response.json, (bundle) => ({ ...bundle, entry: bundle.entry?.slice(0, count) })) };
}

/**
 * Runs an expanded MHD submission: the CDA header patients checked against their subjects (wrong patient is the worst
 * error), then a re-sent submission answered with what is already filed, else the transaction. A 409 of the
 * transaction may be a concurrent twin that committed first (document_master): answered as a re-submission then.
 */
async function submit(svc: FhirService, ctx: RequestContext, received: FhirRequest, submission: ExpandedSubmission, next: (req: FhirRequest) => Promise<FhirResponse>): Promise<FhirResponse> {
  // A feeding system's author roles stay inside its documents (`submission-roles.ts`); their entries are answered apart.
  if (ctx.state.get(ACTOR_STATE)?.kind === 'system') {
    const roles = authorRolesContained(submission.bundle, submission.requestEntries);
    if (roles.moved.size) return withAnswersAt(await submitExpanded(svc, ctx, { ...received, body: roles.bundle }, { ...submission, bundle: roles.bundle, requestEntries: roles.requestEntries }, next), roles.moved);
  }
  return submitExpanded(svc, ctx, received, submission, next);
}

async function submitExpanded(svc: FhirService, ctx: RequestContext, received: FhirRequest, submission: ExpandedSubmission, next: (req: FhirRequest) => Promise<FhirResponse>): Promise<FhirResponse> {
  const expanded = { ...submission, bundle: plainDirectoryCreatesAsConditional(submission.bundle, submission.requestEntries) };
  const req = { ...received, body: expanded.bundle };
  const documents = (expanded.bundle.entry ?? []).slice(0, expanded.requestEntries).filter((e) => e.resource?.resourceType === 'DocumentReference');
  if (!documents.length && !expanded.cdaSubjects.length) return next(req);
  // The CDA headers' and source patients' traits are judged once every write of the submission is (identity-verdict.ts).
  return withIdentityVerdict(ctx, () => fileSubmission(svc, ctx, req, expanded, next));
}

/** Checks the submission's CDA headers against their subjects, answers a re-sent one, else runs its transaction. */
async function fileSubmission(svc: FhirService, ctx: RequestContext, req: FhirRequest, expanded: ExpandedSubmission, next: (req: FhirRequest) => Promise<FhirResponse>): Promise<FhirResponse> {
  const lookupCtx = await submissionLookupContext(svc, ctx);
  await assertSubmissionSubjects(svc, lookupCtx, expanded.cdaSubjects);
  const replay = await answerResubmission(svc, lookupCtx, req, expanded.bundle, expanded.requestEntries);
  if (replay) return replay;
  await resolveSubmissionReplacements(svc, lookupCtx, expanded.bundle, expanded.requestEntries);
  try {
    return await runOnceMoreIfDirectoryChanged(ctx, async () => {
      const { bundle: body, answered } = await linkKnownDirectoryEntries(svc, lookupCtx, req.body as Bundle, expanded.requestEntries);
      markDocumentSubmission(ctx);
      return withAnswersAt(await next({ ...req, body }), answered);
    });
  } catch (err) {
    if (!(err instanceof FhirError) || err.status !== 409) throw err;
    const twin = await answerResubmission(svc, lookupCtx, req, expanded.bundle, expanded.requestEntries);
    if (twin) return twin;
    throw err;
  }
}

/**
 * The documents module's request interceptor: ITI-105 publish → Provide Document Bundle; ITI-65 bundles with
 * CDA content → extracted resources added to the same transaction; DocumentReference PATCH → TD3.3 rules.
 */
export function documentsInterceptor(options: { maxCdaSize: number; insSystems: InsSystemsPolicy }): Hooks {
  return {
    async interceptRequest(svc, ctx, req, next) {
      if (isSimplifiedPublish(req)) {
        const { expanded, documentIndex } = toProvideBundle(req.body as DocumentReference, { maxCdaSize: options.maxCdaSize, insSystems: options.insSystems, ifNoneExist: req.headers.ifNoneExist });
        markCdaChecked(ctx, expanded.bundle);
        // Sent as an entry of a transaction, its id was drawn already and the other entries' references name it: the
        // Bundle it becomes stores the DocumentReference under that id (FHIR R4 §3.1.0.11.2), not under one of its own.
        const docUrl = expanded.bundle.entry?.[documentIndex]?.fullUrl;
        const reservedIds = req.assignedId !== undefined && docUrl ? new Map([[docUrl, req.assignedId]]) : undefined;
        const published: FhirRequest = { ...req, segments: [], query: [], body: expanded.bundle, assignedId: undefined, reservedIds };
        return documentResponse(await submit(svc, ctx, published, expanded, next), documentIndex);
      }
      if (isTransaction(req)) {
        const expanded = expandSubmission(req.body as Bundle, options);
        markCdaChecked(ctx, expanded.bundle);
        const response = await submit(svc, ctx, { ...req, body: expanded.bundle }, expanded, next);
        const kept = (expanded.bundle.entry?.length ?? 0) > expanded.requestEntries ? keepRequestEntries(response, expanded.requestEntries) : response;
        // What the CDA mapping could not represent is listed on the DocumentReference's entry (an MHD answer has no Location).
        return tellDocument(kept, expanded, { headers: false });
      }
      if (isDocumentPatch(req)) {
        const guarded = await guardMetadataPatch(svc, ctx, req);
        return guarded.unseen ? withDocumentVisible(ctx, guarded.unseen, () => next(guarded.req)) : next(guarded.req);
      }
      return next(req);
    },
  };
}
