import type { Bundle, BundleEntry, BundleEntryResponse, Identifier, OperationOutcome, Resource } from '@medplum/fhirtypes';
import { nationalIdentifiers } from '../access/directory-rules';
import { unprocessable } from '../fhir/errors';
import { parseQueryString } from '../fhir/handlers/conditional';
import { DIRECTORY_MATCHED } from './directory-match';

/**
 * The directory conditional creates an MHD client writes itself (a Practitioner or Organization entry of its ITI-65
 * bundle with `ifNoneExist`) are matched like the ones the CDA extraction adds (`directory-match.ts`): by the system,
 * on every spelling of every national identifier the entry carries. The client's criteria are not searched: they must
 * name identifiers the entry carries (`identifier=<system>|<value>`), and the entry's identifiers decide. Why: in a
 * document submission the conditional create looks at every directory row (`submission-directory.ts`), so criteria
 * naming anything else (`_id=gp`, another RPPS than the entry's, a local identifier someone added to his own entry)
 * chose whose entry the document's author is.
 */
export function assertClientCriteria(resource: Resource, criteria: string, index: number): void {
  const carried = ((resource as { identifier?: Identifier[] }).identifier ?? []).filter((i) => i.system && i.value);
  const tokens = new Set(carried.flatMap((i) => [`${escapeToken(i.system as string)}|${escapeToken(i.value as string)}`, escapeToken(i.value as string)]));
  const params = parseQueryString(criteria);
  const named = params.length > 0 && params.every(([name, value]) => name === 'identifier' && value.split(/(?<!\\),/).every((t) => tokens.has(t)));
  if (named) return;
  const text = `In a document submission, a ${resource.resourceType} is matched on the national identifiers it carries (every spelling): its If-None-Exist names identifiers the entry carries (identifier=<system>|<value>), not "${criteria}"`;
  throw unprocessable([{ severity: 'error', code: 'business-rule', diagnostics: text, expression: [`Bundle.entry[${index}].request.ifNoneExist`] }]);
}

/** A token search value's escapes (FHIR search: `\`, `,`, `|`, `$`). */
function escapeToken(value: string): string {
  return value.replace(/[\\,|$]/g, (c) => `\\${c}`);
}

/** The name a client's entry gives a person or organisation, as a reference's display (references to it keep it). */
export function displayOf(resource: Resource): string | undefined {
  if (resource.resourceType === 'Organization') return resource.name;
  if (resource.resourceType !== 'Practitioner') return undefined;
  const name = resource.name?.[0];
  const text = name?.text ?? [...(name?.prefix ?? []), ...(name?.given ?? []), name?.family].filter(Boolean).join(' ');
  return text || undefined;
}

/**
 * The answer of a client's directory entry that was not sent to the transaction because the directory cannot say which
 * entry it is: nothing created, nothing linked, the submission names it by identifier. The text names the identifier
 * only, never why (two entries, an entry naming someone else too): a feeder reads no directory.
 */
export function unlinkedEntryResponse(resourceType: string, identifier: Identifier): BundleEntryResponse {
  const text = `No ${resourceType} linked or created for ${identifier.system ?? ''}|${identifier.value ?? ''}: the directory cannot say which entry it is; the submission names it by this identifier`;
  const outcome: OperationOutcome = { resourceType: 'OperationOutcome', issue: [{ severity: 'warning', code: 'informational', diagnostics: text }] };
  return { status: '200 OK', outcome };
}

/**
 * An MHD client's plain create (`POST`, no `ifNoneExist`) of a Practitioner or Organization carrying a national
 * identifier, made the conditional create on those identifiers that it means: the author or structure a hospital system
 * sends with every document. As a plain create, an entry already in the directory (in any spelling) met the directory's
 * 409 and the whole submission was refused; a conditional create is matched by the system like the client's other
 * entries (`linkKnownDirectoryEntries`): found → `200` naming the existing entry, which the client's name, telecom and
 * other identifiers do not change (nothing of the entry is written); new → created once; the directory cannot tell →
 * named by identifier. Only national identifiers make the criteria: a local one vouches for nothing (an entry carrying
 * only local ones keeps the plain create, which the directory refuses). Entries from `clientEntries` on (the CDA
 * extraction's) and a plain `POST /Practitioner` outside a submission are untouched.
 */
export function plainDirectoryCreatesAsConditional(bundle: Bundle, clientEntries: number): Bundle {
  const entries = bundle.entry ?? [];
  let changed = false;
  const entry = entries.map((e, index): BundleEntry => {
    const resource = e.resource;
    if (index >= clientEntries || !resource || !e.fullUrl || e.request?.method !== 'POST' || e.request.ifNoneExist || !DIRECTORY_MATCHED.has(resource.resourceType)) return e;
    const url = (e.request.url ?? '').replace(/^.*\//, '');
    if (url !== resource.resourceType) return e;
    const keys = nationalIdentifiers(resource);
    if (!keys.length) return e;
    changed = true;
    const tokens = keys.map((k) => `${escapeToken(k.slice(0, k.indexOf('|')))}|${escapeToken(k.slice(k.indexOf('|') + 1))}`);
    return { ...e, request: { ...e.request, ifNoneExist: new URLSearchParams([['identifier', tokens.join(',')]]).toString() } };
  });
  return changed ? { ...bundle, entry } : bundle;
}
