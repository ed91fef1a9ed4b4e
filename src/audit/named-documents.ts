import { fixed, raw, type Sql } from '../store/sql';
import type { AuditEventInput } from './audit-event-builder';

/** Types never governed by a document: no lookup for them (a Consent masking documents is: store/derived-columns.ts). */
export const UNGOVERNED = new Set(['Patient', 'AuditEvent', 'RelatedPerson', 'Practitioner', 'Organization', 'PractitionerRole']);

export const REFERENCE = /^([A-Z][A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})(?:\/|$)/;

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
  /** The event also names a resource of a type no document governs (the Patient, a directory entry). */
  others: boolean;
}

/**
 * The element of `named_documents` standing for « and something no document governs » (a Patient, an allergy entered
 * by hand, a row whose id names nothing): ids are never empty. An event naming a hidden document and such a resource, or
 * another document, is an access the patient may know of: it stays in his trail, served without what is hidden from him
 * (`hidden-entities.ts`). Only an event naming hidden documents alone is absent (attack sweep 12b: an authorised
 * professional's `$everything`, or any search he made include an `INVISIBLE_PATIENT` document, vanished whole from the
 * trail, his reads of everything else with it).
 */
export const UNGOVERNED_MARK = '';

/** The documents an event names, split into those known from the reference and those to look up. */
export function namedDocumentsOf(input: AuditEventInput): NamedDocuments {
  if (!input.patientId) return { docs: null, lookups: null, others: false };
  const docs = new Set<string>();
  const lookups = new Set<string>();
  let others = false;
  for (const reference of input.resources ?? []) {
    const m = REFERENCE.exec(reference);
    if (!m || UNGOVERNED.has(m[1])) {
      others = true;
      continue;
    }
    if (m[1] === 'DocumentReference') docs.add(m[2]);
    else lookups.add(`${m[1]}/${m[2]}`);
  }
  return { docs: docs.size ? [...docs].join(',') : null, lookups: lookups.size ? [...lookups].join(',') : null, others };
}

/**
 * SQL value of the `named_documents` column (migration 170) from `v.docs`, `v.lookups` and `v.others`: the documents an
 * event names, one array in the event's own row, with `UNGOVERNED_MARK` when it also names a resource no document governs
 * (of an ungoverned type, or looked up without a `doc_id`, or missing). Null when it names no document: the mark alone
 * tells nothing. It replaced one `idx_reference` row per document (migration 143), which cost a search page's event a heap
 * row, three b-tree entries and a lookup per document shown: the read the whole production composition serves most.
 */
export const NAMED_DOCUMENTS_VALUE: Sql = fixed(raw(`CASE WHEN v.docs IS NULL AND v.lookups IS NULL THEN NULL
    WHEN v.lookups IS NULL THEN string_to_array(v.docs, ',') || CASE WHEN v.others THEN ARRAY['']::text[] ELSE '{}'::text[] END
    ELSE (SELECT CASE WHEN x.a <@ ARRAY['']::text[] THEN NULL ELSE x.a END FROM (SELECT ARRAY(
    SELECT unnest(string_to_array(v.docs, ','))
    UNION SELECT coalesce(t.doc_id, '') FROM unnest(string_to_array(v.lookups, ',')) AS l(ref)
      LEFT JOIN resource t ON t.type = split_part(l.ref, '/', 1) AND t.id = split_part(l.ref, '/', 2)
    UNION SELECT '' WHERE v.others) AS a) x) END`));
