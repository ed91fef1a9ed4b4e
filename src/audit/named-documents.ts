import { fixed, raw, type Sql } from '../store/sql';
import type { AuditEventInput } from './audit-event-builder';

/** Types never governed by a document: no lookup for them (a Consent masking documents is: store/derived-columns.ts). */
const UNGOVERNED = new Set(['Patient', 'AuditEvent', 'RelatedPerson', 'Practitioner', 'Organization', 'PractitionerRole']);

const REFERENCE = /^([A-Z][A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})(?:\/|$)/;

/**
 * What one event names of documents, as two comma-joined lists (ids never hold a comma) for the writer's statement:
 * `docs`, DocumentReference ids, known here because a DocumentReference governs itself (`doc_id = id`, see
 * `deriveColumns`); `lookups`, `Type/id` of the other resources it names that a document may govern (a Binary, an
 * extracted resource, a SubmissionSet), whose `doc_id` the statement looks up. Null when empty: events outside a
 * patient's trail name none (the access predicate reads them for trail readers only).
 */
export interface NamedDocuments {
  docs: string | null;
  lookups: string | null;
}

/** The documents an event names, split into those known from the reference and those to look up. */
export function namedDocumentsOf(input: AuditEventInput): NamedDocuments {
  if (!input.patientId) return { docs: null, lookups: null };
  const docs = new Set<string>();
  const lookups = new Set<string>();
  for (const reference of input.resources ?? []) {
    const m = REFERENCE.exec(reference);
    if (!m || UNGOVERNED.has(m[1])) continue;
    if (m[1] === 'DocumentReference') docs.add(m[2]);
    else lookups.add(`${m[1]}/${m[2]}`);
  }
  return { docs: docs.size ? [...docs].join(',') : null, lookups: lookups.size ? [...lookups].join(',') : null };
}

/**
 * SQL value of the `named_documents` column (migration 170) from `v.docs` and `v.lookups`: the documents an event
 * names, one array in the event's own row. It replaced one `idx_reference` row per document (migration 143), which
 * cost a search page's event a heap row, three b-tree entries and a lookup per document shown: the read the whole
 * production composition serves most.
 */
export const NAMED_DOCUMENTS_VALUE: Sql = fixed(raw(`CASE WHEN v.lookups IS NULL THEN string_to_array(v.docs, ',') ELSE NULLIF(ARRAY(
    SELECT unnest(string_to_array(v.docs, ','))
    UNION SELECT t.doc_id FROM unnest(string_to_array(v.lookups, ',')) AS l(ref)
      JOIN resource t ON t.type = split_part(l.ref, '/', 1) AND t.id = split_part(l.ref, '/', 2) WHERE t.doc_id IS NOT NULL), '{}') END`));
