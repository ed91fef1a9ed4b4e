import type { Bundle, DocumentReference } from '@medplum/fhirtypes';
import type { Hooks } from '../fhir/context';
import type { FhirRequest, FhirResponse } from '../fhir/request';
import { guardMetadataPatch, isDocumentPatch } from './metadata-update';
import { expandSubmission } from './mhd-submission';
import { assertSubmissionSubjects } from './subject-identity';
import { documentResponse, isSimplifiedPublish, toProvideBundle } from './simplified-publish';


function isTransaction(req: FhirRequest): boolean {
  const body = req.body as Bundle | undefined;
  return req.method === 'POST' && req.segments.length === 0 && !!body && !Buffer.isBuffer(body) && body.resourceType === 'Bundle' && body.type === 'transaction';
}

/** Keeps one response entry per request entry, in order (MHD), dropping those of the added extracted resources. */
function keepRequestEntries(response: FhirResponse, count: number): FhirResponse {
  const bundle = JSON.parse(response.json ?? '{}') as Bundle;
  bundle.entry = bundle.entry?.slice(0, count);
  return { ...response, json: JSON.stringify(bundle) };
}

/**
 * The documents module's request interceptor: ITI-105 publish → Provide Document Bundle; ITI-65 bundles with
 * CDA content → extracted resources added to the same transaction; DocumentReference PATCH → TD3.3 rules.
 */
export function documentsInterceptor(options: { maxCdaSize: number }): Hooks {
  return {
    async interceptRequest(svc, ctx, req, next) {
      if (isSimplifiedPublish(req)) {
        const { expanded, documentIndex } = toProvideBundle(req.body as DocumentReference, { maxCdaSize: options.maxCdaSize, ifNoneExist: req.headers.ifNoneExist });
        await assertSubmissionSubjects(svc, ctx, expanded.cdaSubjects);
        return documentResponse(await next({ ...req, segments: [], query: [], body: expanded.bundle }), documentIndex);
      }
      if (isTransaction(req)) {
        const expanded = expandSubmission(req.body as Bundle, options);
        // Wrong patient is the worst error: every CDA's header patient is its subject's, checked before any write.
        await assertSubmissionSubjects(svc, ctx, expanded.cdaSubjects);
        const response = await next({ ...req, body: expanded.bundle });
        return (expanded.bundle.entry?.length ?? 0) > expanded.requestEntries ? keepRequestEntries(response, expanded.requestEntries) : response;
      }
      if (isDocumentPatch(req)) return next(await guardMetadataPatch(svc, ctx, req));
      return next(req);
    },
  };
}
