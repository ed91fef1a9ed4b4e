import { statementsOf } from '../system/system-repository';
import type { Bundle, BundleEntry, DocumentReference } from '@medplum/fhirtypes';
import type { RequestContext } from '../fhir/context';
import { conflict } from '../fhir/errors';
import { bundleJson, type EntryParts } from '../fhir/bundle-json';
import { prefersMinimal, type FhirRequest, type FhirResponse } from '../fhir/request';
import type { FhirService } from '../fhir/service';
import { sql } from '../store/sql';
import { callerKnowsDocument } from '../access/known-documents';
import { documentHolding, documentKey, filedOnce } from './document-key';
import { resolveSubject } from './subject-identity';
import { assertClientCriteria, unlinkedEntryResponse } from './client-directory-entries';
import { DIRECTORY_MATCHED, matchDirectoryEntry, unlinkedIdentifier } from './directory-match';

interface HeldRow {
  id: string;
  type: string;
  version_id: number;
  last_updated: Date | string;
  compartment: string | null;
  text: string | null;
}

/** A document of the submission whose id is already held, with the stored DocumentReference. */
interface KnownDocument {
  entry: BundleEntry & { resource: DocumentReference };
  key: string;
  stored: HeldRow;
}

const hashes = (doc: DocumentReference): string[] => (doc.content ?? []).map((c) => c.attachment?.hash ?? '');

async function loadRow(svc: FhirService, type: string, id: string): Promise<HeldRow | undefined> {
  const { rows } = await statementsOf(svc.repo).query<HeldRow>(sql`SELECT id, type, version_id, last_updated, compartment, text FROM resource WHERE type = ${type} AND id = ${id} AND NOT deleted`);
  return rows[0];
}

/** True when the submitted DocumentReference is the stored one sent again: same bytes (hash of each content) and same record. */
async function isSameDocument(svc: FhirService, ctx: RequestContext, known: KnownDocument): Promise<boolean> {
  const stored = JSON.parse(known.stored.text ?? '{}') as DocumentReference;
  const sent = hashes(known.entry.resource);
  if (!sent.length || sent.some((h) => !h) || sent.join(',') !== hashes(stored).join(',')) return false;
  const subject = known.entry.resource.subject?.reference;
  const patient = subject ? await resolveSubject(svc, ctx, subject) : undefined;
  return !!patient && patient.id === known.stored.compartment;
}

const answerOf = (req: FhirRequest, row: HeldRow): EntryParts['response'] => ({
  status: '200 OK',
  location: `${req.baseUrl}/${row.type}/${row.id}/_history/${row.version_id}`,
  etag: `W/"${row.version_id}"`,
  lastModified: new Date(row.last_updated).toISOString(),
});

/**
 * Idempotent MHD submission (issue 13 item 8; XDS: a uniqueId is registered once). When a submission's documents are
 * already in the DMP (`document_master`, whatever channel filed them), the answer is the existing resources, one
 * `200 OK` entry per request entry, in order — nothing is written again: same bytes in the same record for every
 * document, and nothing else in the bundle than their SubmissionSet, DocumentReferences and Binaries. A document id
 * already held with other content or in another record, or a bundle mixing new and known documents, → 409 (a change
 * is a replacement, `relatesTo replaces`); a caller who does not know a filed document (neither reads nor may change
 * it) gets the 409 of a duplicate id, whatever its content and record. Undefined when no document of the submission
 * is known.
 */
export async function answerResubmission(svc: FhirService, ctx: RequestContext, req: FhirRequest, bundle: Bundle, requestEntries: number): Promise<FhirResponse | undefined> {
  const entries = (bundle.entry ?? []).slice(0, requestEntries);
  const documents = entries.filter((e): e is BundleEntry & { resource: DocumentReference } => e.resource?.resourceType === 'DocumentReference' && e.request?.method === 'POST');
  const known: KnownDocument[] = [];
  for (const entry of documents) {
    const key = documentKey(entry.resource.masterIdentifier);
    const holder = key ? await documentHolding(statementsOf(svc.repo), key) : undefined;
    const stored = holder ? await loadRow(svc, 'DocumentReference', holder) : undefined;
    if (key && stored) known.push({ entry, key, stored });
  }
  if (!known.length) return undefined;
  // A caller who does not know a filed document learns only that its id is taken: not its record, not its content,
  // not the ids of its resources (a feeder replaying its own submission knows it; XDS answers a duplicate uniqueId so).
  for (const k of known) {
    if (!(await callerKnowsDocument(statementsOf(svc.repo), ctx, k.stored.id))) throw filedOnce(k.key);
  }
  for (const k of known) {
    if (!(await isSameDocument(svc, ctx, k))) {
      throw conflict(`Document ${k.key} is already in the DMP with other content or in another record: a document id is filed once; send a new document that replaces it (relatesTo replaces)`);
    }
  }
  if (known.length !== documents.length) {
    throw conflict(`Documents ${known.map((k) => k.key).join(', ')} of this submission are already in the DMP: resubmit the whole submission unchanged, or only the new documents`);
  }
  // The filed DocumentReferences the caller may read are answered in full (ITI-105 answers with the document);
  // the rest by location only: hidden is absent.
  const readable = prefersMinimal(req) ? new Map() : await svc.repo.readRows(ctx, known.map((k) => ({ type: 'DocumentReference', id: k.stored.id })));
  const response: EntryParts[] = [];
  for (const [index, entry] of entries.entries()) {
    const doc = known.find((k) => k.entry === entry);
    const text = doc ? readable.get(`DocumentReference/${doc.stored.id}`)?.text : undefined;
    response.push({ resourceText: text ?? undefined, response: await replayEntry(svc, ctx, req, entry, known, index) });
  }
  return { status: 200, json: bundleJson({ type: 'transaction-response', timestamp: new Date().toISOString() }, response) };
}

/** The existing resource answering one request entry of a re-sent submission (409 for an entry that is not part of it). */
async function replayEntry(svc: FhirService, ctx: RequestContext, req: FhirRequest, entry: BundleEntry, known: KnownDocument[], index: number): Promise<EntryParts['response']> {
  const type = entry.resource?.resourceType;
  const doc = known.find((k) => k.entry === entry);
  if (doc) return answerOf(req, doc.stored);
  if (type === 'Binary' && entry.request?.method === 'POST') {
    for (const k of known) {
      const position = (k.entry.resource.content ?? []).findIndex((c) => c.attachment?.url === entry.fullUrl);
      const url = position >= 0 ? (JSON.parse(k.stored.text ?? '{}') as DocumentReference).content?.[position]?.attachment?.url : undefined;
      const id = /^(?:.*\/)?Binary\/([A-Za-z0-9\-.]{1,64})$/.exec(url ?? '')?.[1];
      const row = id ? await loadRow(svc, 'Binary', id) : undefined;
      if (row) return answerOf(req, row);
    }
  }
  if (type === 'List' && entry.request?.method === 'POST') {
    // The SubmissionSet governed by the known document (its doc_id): the first submission's.
    const { rows } = await statementsOf(svc.repo).query<HeldRow>(sql`SELECT id, type, version_id, last_updated, compartment, text FROM resource
      WHERE type = 'List' AND doc_id = ANY(${known.map((k) => k.stored.id)}::text[]) AND NOT deleted ORDER BY rid LIMIT 1`);
    if (rows[0]) return answerOf(req, rows[0]);
    // Filed by $import, which has no SubmissionSet: nothing to name, nothing written.
    return { status: '200 OK' };
  }
  if (type && DIRECTORY_MATCHED.has(type) && entry.resource && entry.request?.method === 'POST' && entry.request.ifNoneExist) {
    // The client's directory entry, matched as the first submission matched it (`linkKnownDirectoryEntries`): a retry
    // of a submission naming its author's Practitioner is answered like the first, not refused.
    assertClientCriteria(entry.resource, entry.request.ifNoneExist, index);
    const match = await matchDirectoryEntry(svc, ctx, entry.resource, entry.request.ifNoneExist, false);
    const row = match.kind === 'existing' ? await loadRow(svc, type, match.reference.slice(type.length + 1)) : undefined;
    if (row) return answerOf(req, row);
    return unlinkedEntryResponse(type, match.kind === 'unlinked' ? match.identifier : unlinkedIdentifier(entry.resource, match.kind === 'new' ? match.keys : []));
  }
  throw conflict(`Bundle.entry[${index}] is not part of the submission already filed (documents ${known.map((k) => k.key).join(', ')}): resubmit it unchanged, or only the new documents`);
}
