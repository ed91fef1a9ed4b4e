import type { Bundle, BundleEntry, DocumentReference, Identifier, Resource } from '@medplum/fhirtypes';
import { parseQueryString } from '../fhir/handlers/conditional';
import type { CdaImportPlan } from '../cda';
import { queryValue } from '../cda/bundle-builder';
import type { RequestContext } from '../fhir/context';
import { rewriteReferences } from '../fhir/handlers/bundle-references';
import type { FhirService } from '../fhir/service';
import { lookupExisting, skipExistingConditionals } from './existing-lookup';
import { previousVersionInSet } from './set-id-fallback';
import { resolvePatientReference } from './patient-match';
import { sql } from '../store/sql';
import { unknownReplacedDocument } from '../access/provenance';
import { unprocessable } from '../fhir/errors';

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
 * (`existing`, as `Type/id`), and `relatesTo` targets are resolved in the patient's record (422 when a replaced
 * document is not there: see resolveRelatesTo).
 */
export async function preparePlanBundle(svc: FhirService, ctx: RequestContext, plan: CdaImportPlan): Promise<{ bundle: Bundle; existing: string[] }> {
  const patient = await resolvePatientReference(svc, ctx, plan);
  const map = new Map<string, string>([[planPatientReference(plan), patient]]);
  const skipped = await skipExistingConditionals(svc, ctx, plan.bundle);
  for (const [from, to] of skipped.map) map.set(from, to);
  const bundle = rewriteBundle(skipped.bundle, map);
  for (const [index, entry] of (bundle.entry ?? []).entries()) {
    if (entry.resource?.resourceType === 'DocumentReference') await resolveRelatesTo(svc, ctx, { doc: entry.resource, where: `Bundle.entry[${index}]` }, patient);
  }
  // A second entry naming a new entry's holder maps to that entry's fullUrl: it is written, not already known.
  return { bundle, existing: [...new Set([...skipped.map.values()].filter((ref) => !ref.startsWith('urn:')))] };
}

/**
 * Conditional `relatesTo replaces` targets (`DocumentReference?identifier=…`, from a CDA RPLC or sent by an MHD client):
 * by the parent's id, else (CDA) by the set id and version (see previousVersionInSet); none → 422 naming the parent, and
 * nothing is written (issue 13: a replacement of a document this record does not hold is not filed as an original).
 * The parent is looked up by the system within the document's own record, not through the caller's view: a feeder
 * reads nothing, yet its replacement must supersede the document it submitted (issue 13 item 2). Finding it widens no
 * read: it only names the parent, and access/provenance.ts then decides whether the caller may replace it — a parent
 * hidden from the caller gets the same 422 text as an unknown one (unknownReplacedDocument).
 */
export async function resolveRelatesTo(svc: FhirService, ctx: RequestContext, entry: { doc: DocumentReference; where: string }, patientReference: string): Promise<void> {
  const { doc, where } = entry;
  const patientId = /^Patient\/([A-Za-z0-9\-.]{1,64})$/.exec(patientReference)?.[1];
  for (const relation of doc.relatesTo ?? []) {
    const ref = relation.target?.reference;
    if (!ref?.startsWith('DocumentReference?')) continue;
    // The parent keeps the name the sender gave it: a refusal then names that, never our id for a document he may not see.
    relation.target.identifier ??= identifierCriterion(ref.slice('DocumentReference?'.length));
    // Only a name the sender gave: its identifier (kept above) or its id. Other criteria (type, date, a chain …) matched a
    // document hidden from the sender, then the refusal named it by our id — attack sweep 6: an authorised specialist
    // learnt that documents masked from him exist and bisected their type and dates, one 422 text against the other.
    const byId = idCriterion(ref.slice('DocumentReference?'.length));
    if (!relation.target.identifier && !byId) throw parentNamedByCriteria(relation, where);
    // Named by id, it is named as a literal reference from here on, found or not: the refusals then read alike.
    if (byId) relation.target.reference = `DocumentReference/${byId}`;
    if (!patientId) throw unknownReplacedDocument(relation, where);
    const inRecord: RequestContext = { ...ctx, lookupAccess: sql`r.compartment = ${patientId}` };
    const matches = await lookupExisting(svc, inRecord, 'DocumentReference', ref.slice('DocumentReference?'.length));
    const fallback = matches.length === 1 ? undefined : await previousVersionInSet(svc, inRecord, doc, patientReference);
    if (matches.length === 1) relation.target.reference = `DocumentReference/${matches[0].id}`;
    else if (fallback) relation.target.reference = `DocumentReference/${fallback}`;
    else if (relation.code === 'replaces') throw unknownReplacedDocument(relation, where);
    else delete relation.target.reference; // other relations (appends, transforms) may name a document shared elsewhere
  }
}

/** The id of criteria that are one `_id=<id>` (the sender names the parent by its id, which he knows), else undefined. */
function idCriterion(query: string): string | undefined {
  const params = parseQueryString(query);
  return params.length === 1 && params[0][0] === '_id' && /^[A-Za-z0-9\-.]{1,64}$/.test(params[0][1]) ? params[0][1] : undefined;
}

/** The refusal of a parent named by criteria other than its identifier or id (422, whatever the record holds). */
function parentNamedByCriteria(relation: { target?: { reference?: string } }, where?: string) {
  const text = `relatesTo ${relation.target?.reference ?? ''} names its parent document by criteria: name it by its identifier (DocumentReference?identifier=<system>|<value>) or its id (nothing was written)`;
  return unprocessable([{ severity: 'error', code: 'processing', diagnostics: text, details: { text }, ...(where ? { expression: [where] } : {}) }]);
}

/** `identifier=<system>|<value>` as an Identifier (FHIR search escapes: `\|` is a literal bar), when it is the only criterion. */
function identifierCriterion(query: string): Identifier | undefined {
  const params = parseQueryString(query);
  if (params.length !== 1 || params[0][0] !== 'identifier') return undefined;
  const parts = params[0][1].split(/(?<!\\)\|/).map((p) => p.replace(/\\(.)/g, '$1'));
  if (parts.length > 2 || !parts[parts.length - 1]) return undefined;
  return parts.length === 2 ? { ...(parts[0] ? { system: parts[0] } : {}), value: parts[1] } : { value: parts[0] };
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
