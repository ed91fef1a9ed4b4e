import type { DocumentReference, Resource } from '@medplum/fhirtypes';
import type { WriteEvent } from '../fhir/context';
import { unprocessable } from '../fhir/errors';
import type { Statements } from '../store/db';
import { listedDocuments } from '../store/derived-columns';
import { sql } from '../store/sql';
import type { DmpActor } from './actor';
import { assertMayChange, isVisible } from './provenance';

const DOCUMENT_ID = /^(?:.*\/)?DocumentReference\/([A-Za-z0-9\-.]{1,64})$/;

/** The DocumentReferences a row names to decide its own governance, with the path that names them. */
function governingDocuments(resource: Resource | undefined): { path: string; ids: string[] } | undefined {
  if (resource?.resourceType === 'Binary') {
    const id = DOCUMENT_ID.exec(resource.securityContext?.reference ?? '')?.[1];
    return { path: 'Binary.securityContext', ids: id ? [id] : [] };
  }
  if (resource?.resourceType === 'List') return { path: 'List.entry.item', ids: listedDocuments(resource) };
  return undefined;
}

/**
 * A Binary (`securityContext`) or a List (`entry.item`) naming a DocumentReference is governed by it: it joins that
 * document's record, masks and authors (and a List's labels reveal the document's). Such a name must therefore be
 * of a document the writer may know of — one he reads, one he may change (a feeder's own submission, which it
 * cannot read), or one drawn in this transaction and not written yet. Any other name is answered as absent, with the
 * same 422 for a hidden document as for one that never existed, before anything is written: otherwise a professional
 * could attach a Binary to a masked document, or to a document of a record he may not open, and learn by the status
 * which ids exist. Names already on the row's previous version were checked when they were written.
 */
export async function assertNamedDocumentsKnown(tx: Statements, actor: DmpActor, event: WriteEvent, newInRequest: ReadonlySet<string>): Promise<void> {
  const named = governingDocuments(event.resource);
  if (!named) return;
  const before = new Set(governingDocuments(event.previous)?.ids ?? []);
  assertNoDocumentDropped(named, before);
  for (const id of named.ids) {
    if (before.has(id) || newInRequest.has(`DocumentReference/${id}`)) continue;
    if (!(await isKnownTo(tx, actor, id))) {
      const text = `${named.path} names DocumentReference/${id}, which does not exist on this server`;
      throw unprocessable([{ severity: 'error', code: 'processing', diagnostics: text, details: { text }, expression: [named.path] }]);
    }
  }
}

/** Whether the actor may know of this DocumentReference: he reads it, or may change it (a feeder's own submission, which it cannot read). */
export async function isKnownTo(tx: Statements, actor: DmpActor, id: string): Promise<boolean> {
  const { rows } = await tx.query<{ text: string | null; compartment: string | null }>(sql`SELECT text, compartment FROM resource WHERE type = 'DocumentReference' AND id = ${id} AND NOT deleted`);
  if (!rows[0]?.text) return false;
  if (await isVisible(tx, actor, id)) return true;
  const doc = JSON.parse(rows[0].text) as DocumentReference;
  try {
    await assertMayChange(tx, actor, { interaction: 'update', resourceType: 'DocumentReference', id, versionId: 0, previous: doc, resource: doc, compartment: rows[0].compartment }, actor.patientIds);
    return true;
  } catch {
    return false;
  }
}


/**
 * The documents governing a row are only added to, never dropped, by a new version. Earlier versions are read
 * (`vread`, `_history`) under the row's current governance: a List that named a masked document, then no longer does,
 * would show that document's id in its old version to everyone the current List admits (attack sweep 4); a Binary
 * moved from one document to another would show its old content under the new document's masks. Naming fewer
 * documents is a new List (or Binary); the server's own writes are not checked here.
 */
function assertNoDocumentDropped(named: { path: string; ids: string[] }, before: ReadonlySet<string>): void {
  const now = new Set(named.ids);
  const dropped = [...before].filter((id) => !now.has(id));
  if (!dropped.length) return;
  const text = `${named.path} no longer names DocumentReference/${dropped[0]}: the documents a ${named.path.split('.')[0]} belongs to are only added to, since its earlier versions are read under the documents it names now (write a new ${named.path.split('.')[0]} instead)`;
  throw unprocessable([{ severity: 'error', code: 'business-rule', diagnostics: text, details: { text }, expression: [named.path] }]);
}

/**
 * A List names only documents of its own record (attack sweep 5). Its compartment comes from its `subject`, its
 * governance from the documents it lists: a SubmissionSet whose subject was another patient than its documents' was
 * filed in that patient's record, who then read the documents' ids, their source's INS and author (the List's contained
 * `sourcePatientInfo`), while the documents' patient did not see her own SubmissionSet. Checked both ways, as the
 * rows are written in either order: a List naming stored documents when it is written (those drawn in this request are
 * not stored yet), a new DocumentReference against the Lists already written that name it (a transaction writes the
 * SubmissionSet first). The writer knows every document named (`assertNamedDocumentsKnown` ran first).
 */
export async function assertListedDocumentsInRecord(tx: Statements, event: WriteEvent, listsInRequest: Set<string>): Promise<void> {
  if (event.interaction === 'delete') return;
  if (event.resourceType === 'List' && event.resource?.resourceType === 'List') {
    // Documents drawn in this request and already written are checked too: a transaction writes its entries in any order.
    const ids = listedDocuments(event.resource);
    if (!ids.length) return;
    listsInRequest.add(event.id);
    const { rows } = await tx.query<{ id: string }>(sql`SELECT id FROM resource WHERE type = 'DocumentReference' AND id = ANY(${ids}::text[])
      AND NOT deleted AND compartment IS DISTINCT FROM ${event.compartment ?? null}::text ORDER BY id LIMIT 1`);
    if (rows[0]) throw otherRecord(`List.entry.item names DocumentReference/${rows[0].id}, a document of another patient's record: a List lists documents of its own patient (List.subject)`, 'List.entry.item');
    return;
  }
  // Only a List written earlier in this request (a transaction) can name a document created now: a token writer never
  // chooses a new id, so nothing else names it yet.
  if (event.resourceType === 'DocumentReference' && event.interaction === 'create' && listsInRequest.size > 0) {
    const { rows } = await tx.query<{ id: string }>(sql`SELECT l.id FROM idx_reference x JOIN resource l ON l.rid = x.rid
      WHERE x.target_type = 'DocumentReference' AND x.target_id = ${event.id} AND x.type = 'List' AND x.param = 'item'
        AND NOT l.deleted AND l.compartment IS DISTINCT FROM ${event.compartment ?? null}::text ORDER BY l.id LIMIT 1`);
    if (rows[0]) throw otherRecord(`List/${rows[0].id} lists this document under another patient (List.subject): a List lists documents of its own patient`, 'DocumentReference.subject');
  }
}

function otherRecord(text: string, path: string): Error {
  return unprocessable([{ severity: 'error', code: 'business-rule', diagnostics: text, details: { text }, expression: [path] }]);
}
