import type { Bundle, BundleEntry, DocumentReference, Resource } from '@medplum/fhirtypes';
import type { CdaImportPlan } from '../cda';
import { queryValue } from '../cda/bundle-builder';
import type { RequestContext } from '../fhir/context';
import { rewriteReferences } from '../fhir/handlers/bundle-references';
import type { FhirService } from '../fhir/service';
import { lookupExisting, skipExistingConditionals } from './existing-lookup';
import { previousVersionInSet } from './set-id-fallback';
import { resolvePatientReference } from './patient-match';
import { sql } from '../store/sql';

/** The conditional patient reference a plan's resources carry (`Patient?identifier=<first id>`). */
export function planPatientReference(plan: CdaImportPlan): string {
  const first = plan.patientIdentifiers[0];
  return `Patient?identifier=${queryValue(first.system)}|${queryValue(first.value)}`;
}

/** Replaces reference strings in every entry of a bundle. */
export function rewriteBundle(bundle: Bundle, map: Map<string, string>): Bundle {
  if (!map.size) return bundle;
  return { ...bundle, entry: (bundle.entry ?? []).map((e) => (e.resource ? { ...e, resource: rewriteReferences(e.resource, map) } : e)) };
}

/**
 * Makes a plan's transaction runnable here: its patient references point at the matched Patient, conditional creates of resources that already exist are replaced by references to them
 * (`existing`, as `Type/id`), and `relatesTo` targets that are not in this server keep only their identifier (the replaced
 * document may have been shared elsewhere; that is not an error).
 */
export async function preparePlanBundle(svc: FhirService, ctx: RequestContext, plan: CdaImportPlan): Promise<{ bundle: Bundle; existing: string[] }> {
  const patient = await resolvePatientReference(svc, ctx, plan);
  const map = new Map<string, string>([[planPatientReference(plan), patient]]);
  const skipped = await skipExistingConditionals(svc, ctx, plan.bundle);
  for (const [from, to] of skipped.map) map.set(from, to);
  const bundle = rewriteBundle(skipped.bundle, map);
  for (const entry of bundle.entry ?? []) {
    if (entry.resource?.resourceType === 'DocumentReference') await resolveRelatesTo(svc, ctx, entry.resource, patient);
  }
  return { bundle, existing: [...skipped.map.values()] };
}

/**
 * RPLC targets: by the parent's id, else by the CDA set id and version (see previousVersionInSet), else identifier only.
 * The parent is looked up by the system within the document's own record, not through the caller's view: a feeder
 * reads nothing, yet its replacement must supersede the document it submitted (issue 13 item 2). Finding it widens no
 * read: it only names the parent, and access/provenance.ts then decides whether the caller may replace it (403).
 */
async function resolveRelatesTo(svc: FhirService, ctx: RequestContext, doc: DocumentReference, patientReference: string): Promise<void> {
  const patientId = patientReference.slice('Patient/'.length);
  const inRecord: RequestContext = { ...ctx, lookupAccess: sql`r.compartment = ${patientId}` };
  for (const relation of doc.relatesTo ?? []) {
    const ref = relation.target.reference;
    if (!ref?.startsWith('DocumentReference?')) continue;
    const matches = await lookupExisting(svc, inRecord, 'DocumentReference', ref.slice('DocumentReference?'.length));
    const fallback = matches.length === 1 ? undefined : await previousVersionInSet(svc, inRecord, doc, patientReference);
    if (matches.length === 1) relation.target.reference = `DocumentReference/${matches[0].id}`;
    else if (fallback) relation.target.reference = `DocumentReference/${fallback}`;
    else delete relation.target.reference;
  }
}

/** `Type/id` of every entry of a transaction-response Bundle (from `response.location`). */
export function locationsOf(responseJson: string | undefined): string[] {
  if (!responseJson) return [];
  const bundle = JSON.parse(responseJson) as Bundle;
  return (bundle.entry ?? [])
    .map((e) => e.response?.location?.split('/_history/')[0])
    .filter((l): l is string => !!l)
    .map((l) => l.split('/').slice(-2).join('/'));
}

/** The resources of a bundle by type. */
export function entriesOfType<T extends Resource>(bundle: Bundle, type: T['resourceType']): (BundleEntry & { resource: T })[] {
  return (bundle.entry ?? []).filter((e): e is BundleEntry & { resource: T } => e.resource?.resourceType === type);
}
