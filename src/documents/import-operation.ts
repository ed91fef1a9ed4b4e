import { markImportPlan } from './source-patient-guard';
import { markCdaDigestChecked } from './cda-binary-guard';
import type { RequestContext } from '../fhir/context';
import { conflict, FhirError } from '../fhir/errors';
import { bundleHandler } from '../fhir/handlers/transaction';
import type { Bundle } from '@medplum/fhirtypes';
import { prefersMinimal, type FhirRequest, type FhirResponse } from '../fhir/request';
import { dispatch } from '../fhir/router';
import { withRepository, type FhirService, type OperationDefinitionEntry } from '../fhir/service';
import { bundleJson, type EntryParts } from '../fhir/bundle-json';
import type { CdaImportPlan } from '../cda';
import { inlinePlanner, type CdaPlanner } from '../cda/plan-workers';
import { cdaBody } from './cda-body';
import { claimDocument, recordImport, type ResourceRef } from './intake-ledger';
import { locationsOf, preparePlanBundle } from './plan-bundle';
import { assertCallerKnowsFiled, filedByOtherChannel } from './filed-document';
import { tellDocument } from './import-response';
import { editJsonKeepingNumbers } from '../fhir/json-numbers';
import { withIdentityVerdict } from './identity-verdict';
import { assertHeaderInsSystemsAccepted } from './ins-system-check';
import { loadInsSystemsPolicy, type InsSystemsPolicy } from '../validation/ins-test-systems';

const DOCUMENTATION =
  'Imports a CDA R2 document (body: application/hl7-cda+xml, application/xml or text/xml) in one transaction: ' +
  'DocumentReference, Binary with the original bytes, extracted resources. 201 with a transaction-response Bundle; ' +
  're-sending the same document answers 200 with the existing resources; the same id with other bytes answers 409.';

/** `POST [base]/DocumentReference/$import` and `POST [base]/$import-cda`: raw CDA intake. */
export function importOperations(options: { maxCdaSize: number; maxCdaMarkup?: number; planner?: CdaPlanner; insSystems?: InsSystemsPolicy }): OperationDefinitionEntry[] {
  const planner = options.planner ?? inlinePlanner;
  // Without a policy given, the one of an environment that is not production (every INS system accepted).
  const insSystems = options.insSystems ?? loadInsSystemsPolicy({});
  const handler = async (svc: FhirService, ctx: RequestContext, req: FhirRequest): Promise<FhirResponse> => {
    const bytes = cdaBody(req, options.maxCdaSize);
    // The document's Binary is written from the bytes received here, not from a base64 copy made by the planner.
    const plan = await planner(bytes, { maxBytes: options.maxCdaSize, maxMarkup: options.maxCdaMarkup, documentBytesApart: true });
    // A header naming its patient under a refused INS system (the test NIR in production): 422 before any look-up.
    assertHeaderInsSystemsAccepted(plan.patientIdentifiers, insSystems);
    // Its patient is matched on the header's identifiers (patient-match.ts): the Binary of these bytes may be written.
    markCdaDigestChecked(ctx, plan.sha1);
    markImportPlan(ctx);
    return importPlan(svc, ctx, req, plan, bytes);
  };
  return [
    { name: '$import', level: 'type', resourceType: 'DocumentReference', methods: ['POST'], handler, documentation: DOCUMENTATION },
    { name: '$import-cda', level: 'system', methods: ['POST'], handler, documentation: DOCUMENTATION },
  ];
}

/**
 * Runs a CDA import plan in one transaction, idempotent on the document id. Every resource of the plan is the
 * mapper's: it is checked against the FHIR schema (its values come from the document) but not against our
 * profiles, which the mapper meets by construction (test/unit/cda/mapped-resources-valid.test.ts).
 */
export async function importPlan(svc: FhirService, ctx: RequestContext, req: FhirRequest, plan: CdaImportPlan, bytes: Buffer): Promise<FhirResponse> {
  const planned = { ...req, binaryPayloads: new Map([[plan.documentBinaryUrl, bytes]]) };
  try {
    return await importPlanOnce(svc, ctx, planned, plan);
  } catch (err) {
    // A concurrent ITI-65/ITI-105 of the same document may have committed between our look-up and our write: we then
    // lose on document_master (409, rolled back). Run once more: it now sees the filed document and replays it (200),
    // or answers the same 409 when the document really differs (other bytes, other record).
    if (!(err instanceof FhirError) || err.status !== 409) throw err;
    return importPlanOnce(svc, ctx, planned, plan);
  }
}

async function importPlanOnce(svc: FhirService, ctx: RequestContext, req: FhirRequest, plan: CdaImportPlan): Promise<FhirResponse> {
  // The header's traits are judged once its writes are (identity-verdict.ts), inside the transaction: refused, it rolls back.
  return svc.repo.transaction(async (repo) => withIdentityVerdict(ctx, async () => {
    const tx: FhirService = { ...withRepository(svc, repo), validate: (resource) => svc.validate(resource, { profiles: false }) };
    const claim = await claimDocument(repo, plan.documentId, plan.sha1, plan.size);
    if (!claim.claimed) {
      // Hidden is absent: who does not know the imported document learns only that its id is taken — not its bytes'
      // SHA-1, not whether his bytes are the same (known-documents.ts).
      await assertCallerKnowsFiled(tx, ctx, plan, claim.documentReferenceId);
      if (claim.sha1 !== plan.sha1) {
        throw conflict(`Document ${plan.documentId.system}|${plan.documentId.value} was already imported with other content (SHA-1 ${claim.sha1}, not ${plan.sha1})`);
      }
      return tellDocument(await replay(tx, ctx, req, claim.resources), plan);
    }
    // Filed by another channel (ITI-65, ITI-105): the same document answers with what is filed, never a second copy.
    const filed = await filedByOtherChannel(tx, ctx, plan);
    if (filed) {
      await recordImport(repo, plan.documentId, filed.documentReferenceId, filed.resources);
      return tellDocument(await replay(tx, ctx, req, filed.resources), plan);
    }
    const { bundle, existing } = await preparePlanBundle(tx, ctx, plan);
    const written = await bundleHandler(tx, ctx, { ...req, segments: [], query: [], body: bundle, headers: { ...req.headers, contentType: 'application/fhir+json' } }, dispatch);
    const response = existing.length ? await withExisting(tx, ctx, req, written, existing) : written;
    const created = locationsOf(response.json);
    const documentReference = created.find((ref) => ref.startsWith('DocumentReference/'));
    await recordImport(repo, plan.documentId, documentReference?.slice('DocumentReference/'.length), created);
    return tellDocument({ ...response, status: 201 }, plan);
  }));
}

/** Puts the already-known resources the document names (authors, organisations …) first in the response, as 200 entries. */
async function withExisting(svc: FhirService, ctx: RequestContext, req: FhirRequest, written: FhirResponse, existing: ResourceRef[]): Promise<FhirResponse> {
  const known = (await replay(svc, ctx, req, existing, prefersMinimal(req))).json as string;
  // Edited, not re-serialised: the resources answered keep their decimals as written (2.050 stays 2.050).
  const json = editJsonKeepingNumbers<{ known: Bundle; written: Bundle } | Bundle>(`{"known":${known},"written":${written.json as string}}`, (both) => {
    const { known: k, written: w } = both as { known: Bundle; written: Bundle };
    return { ...w, entry: [...(k.entry ?? []), ...(w.entry ?? [])] };
  });
  return { ...written, json };
}

/** The answer to a re-sent document: 200 and the resources the first import wrote (those the caller may see). */
async function replay(svc: FhirService, ctx: RequestContext, req: FhirRequest, resources: ResourceRef[], minimal = false): Promise<FhirResponse> {
  const entries: EntryParts[] = [];
  const found = await svc.repo.readRows(ctx, resources.map((ref) => ({ type: ref.split('/')[0], id: ref.split('/')[1] })));
  for (const ref of resources) {
    const [type, id] = ref.split('/');
    const stored = found.get(ref);
    if (!stored || stored.deleted) continue;
    entries.push({
      resourceText: minimal ? undefined : (stored.text ?? undefined),
      response: { status: '200 OK', location: `${req.baseUrl}/${type}/${id}/_history/${stored.versionId}`, etag: `W/"${stored.versionId}"`, lastModified: stored.lastUpdated.toISOString() },
    });
  }
  return { status: 200, json: bundleJson({ type: 'transaction-response', timestamp: new Date().toISOString() }, entries) };
}

