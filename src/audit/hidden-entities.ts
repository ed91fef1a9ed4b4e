import type { AuditEvent } from '@medplum/fhirtypes';
import type { RequestContext } from '../fhir/context';
import type { FhirResponse } from '../fhir/request';
import { INVISIBLE_TO_GUARDIANS, INVISIBLE_TO_PATIENT } from '../access/access-plan';
import type { Statements } from '../store/db';
import { sql } from '../store/sql';
import { REFERENCE, UNGOVERNED } from './named-documents';

// A trail event names what one request showed. When that mixed a document hidden from the trail's reader (flagged
// INVISIBLE_PATIENT, or INVISIBLE_REPRESENTANTS_LEGAUX for a legal representative) with anything else, the event is
// read (the access happened, and its reader may know of it: `trailNamesDocumentWith` in `../access/compile-access.ts`)
// but served without the hidden document's resources, and without the request's query, which may name them. The stored
// event, its hash and its place in the chain are unchanged: only what this reader is shown of it (attack sweep 12b).

/** The codes that hide a document from this trail reader, as his access plan reads them (`decide-access.ts`). */
export function hidingCodes(ctx: RequestContext): string[] {
  return ctx.actor?.kind === 'guardian' ? [INVISIBLE_TO_PATIENT, INVISIBLE_TO_GUARDIANS] : [INVISIBLE_TO_PATIENT];
}

/** `Type/id` of a reference an event names that a document may govern, else undefined. */
function governable(reference: string | undefined): string | undefined {
  const m = reference ? REFERENCE.exec(reference) : null;
  return m && !UNGOVERNED.has(m[1]) ? `${m[1]}/${m[2]}` : undefined;
}

/** Of these `Type/id`, those governed by a document of their own record carrying one of `codes` (a document governs itself). */
export async function hiddenNamedResources(db: Statements, refs: string[], codes: string[]): Promise<Set<string>> {
  if (!refs.length) return new Set();
  const { rows } = await db.query<{ ref: string }>(sql`SELECT t.type || '/' || t.id AS ref FROM unnest(${refs}::text[]) AS u(ref)
    JOIN resource t ON t.type = split_part(u.ref, '/', 1) AND t.id = split_part(u.ref, '/', 2)
    JOIN resource d ON d.type = 'DocumentReference' AND d.id = t.doc_id AND d.compartment = t.compartment
    WHERE d.security && ${codes}::text[]`);
  return new Set(rows.map((r) => r.ref));
}

/** The AuditEvents a response body carries: itself, a Bundle's entries (a batch's too), nested Bundles. */
function eventsIn(body: unknown, out: AuditEvent[] = []): AuditEvent[] {
  const resource = body as { resourceType?: string; entry?: { resource?: unknown }[] } | undefined;
  if (!resource || typeof resource !== 'object') return out;
  if (resource.resourceType === 'AuditEvent') out.push(resource as AuditEvent);
  else if (resource.resourceType === 'Bundle') for (const entry of resource.entry ?? []) eventsIn(entry?.resource, out);
  return out;
}

/**
 * The response as this trail reader is shown it: each AuditEvent without the entities of resources a document hidden
 * from him governs, nor its query then. One look-up, only for a response carrying events naming documents.
 */
export async function withoutHiddenEntities(lookup: (refs: string[], codes: string[]) => Promise<Set<string>>, ctx: RequestContext, response: FhirResponse): Promise<FhirResponse> {
  if (!response.json || !response.json.includes('"AuditEvent"')) return response;
  const body: unknown = JSON.parse(response.json);
  const events = eventsIn(body);
  const refs = [...new Set(events.flatMap((e) => (e.entity ?? []).map((x) => governable(x.what?.reference))).filter((r): r is string => r !== undefined))];
  if (!refs.length) return response;
  const hidden = await lookup(refs, hidingCodes(ctx));
  if (!hidden.size) return response;
  for (const event of events) {
    const entities = event.entity ?? [];
    if (!entities.some((x) => hidden.has(governable(x.what?.reference) ?? ''))) continue;
    event.entity = entities.filter((x) => !hidden.has(governable(x.what?.reference) ?? '') && x.query === undefined);
  }
  return { ...response, json: JSON.stringify(body) };
}
