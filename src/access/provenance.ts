import type { DocumentReference, Resource } from '@medplum/fhirtypes';
import type { WriteEvent } from '../fhir/context';
import { forbidden, unprocessable, type FhirError } from '../fhir/errors';
import type { Statements } from '../store/db';
import { SOURCE_DOCUMENT_URL } from '../store/derived-columns';
import { type Sql, sql } from '../store/sql';
import { WriteTransaction } from '../store/write-transaction';
import type { DmpActor } from './actor';
import { compileAccess } from './compile-access';
import { decideAccess } from './decide-access';

/**
 * Who wrote a row, recorded from the token at create (`access_writer`, migration 142): `practitioner` (his national
 * identifier keys), `patient` (the patient or a guardian: `Patient/<compartment>`), `system` (`system|<client id>`),
 * `server` (the server's own writes with no actor). A DocumentReference adds its author keys.
 */
export type WriterKind = 'practitioner' | 'patient' | 'system' | 'server';

export interface Writer {
  kind: WriterKind;
  keys: string[];
}

/** The writer a create records: from the verified token, never from the body the client sent. */
export function writerOf(actor: DmpActor | undefined, compartment: string | null | undefined): Writer {
  if (!actor) return { kind: 'server', keys: [] };
  if (actor.kind === 'patient' || actor.kind === 'guardian') return { kind: 'patient', keys: compartment ? [`Patient/${compartment}`] : [] };
  // Identifier keys only: `Practitioner/<id>` keys come from the directory, which the token does not vouch for.
  if (actor.kind === 'practitioner') return { kind: 'practitioner', keys: actor.keys.filter((k) => k.includes('|')) };
  return { kind: 'system', keys: [`system|${actor.id}`] };
}

interface WriterRow {
  type: string;
  id: string;
  writer: Writer;
}

/**
 * One statement recording the writers of created rows; a DocumentReference adds its `authors` column, read from its
 * row (written before this statement). The last row given for a resource wins, as if each had been written in turn.
 */
function writersSql(rows: WriterRow[]): Sql {
  const last = [...new Map(rows.map((row) => [`${row.type}/${row.id}`, row])).values()];
  return sql`INSERT INTO access_writer (type, id, kind, keys)
    SELECT u.type, u.id, u.kind, ARRAY(SELECT DISTINCT k FROM (
        SELECT jsonb_array_elements_text(u.keys::jsonb) AS k
        UNION ALL SELECT unnest(r.authors) FROM resource r WHERE u.type = 'DocumentReference' AND r.type = 'DocumentReference' AND r.id = u.id
      ) AS w)
    FROM unnest(${last.map((r) => r.type)}::text[], ${last.map((r) => r.id)}::text[], ${last.map((r) => r.writer.kind)}::text[],
      ${last.map((r) => JSON.stringify(r.writer.keys))}::text[]) AS u(type, id, kind, keys)
    ON CONFLICT (type, id) DO UPDATE SET kind = EXCLUDED.kind, keys = EXCLUDED.keys`;
}

/**
 * Records the writer of a created row in its transaction (a DocumentReference adds its `authors` column). Inside a
 * repository transaction the row is queued beside the created resources and written with them (one statement for all
 * the writers of an import, not one per row), before any other statement could read it.
 */
export async function recordWriter(tx: Statements, event: WriteEvent, writer: Writer): Promise<void> {
  if (event.interaction !== 'create') return;
  const row: WriterRow = { type: event.resourceType, id: event.id, writer };
  if (tx instanceof WriteTransaction) tx.queueSide('access_writer', row, writersSql);
  else await tx.query(writersSql([row]));
}

/** The document a resource was extracted from (source-document extension), if any. */
export function sourceDocument(resource: Resource | undefined): string | undefined {
  const extensions = (resource as { extension?: { url?: string; valueReference?: { reference?: string } }[] } | undefined)?.extension ?? [];
  const source = extensions.find((e) => e.url === SOURCE_DOCUMENT_URL);
  return source ? (source.valueReference?.reference ?? 'DocumentReference/?') : undefined;
}

interface Recorded {
  writer?: Writer;
  /** The stored DocumentReference's authors (the row before this write). */
  authors: string[];
}

async function loadRecorded(tx: Statements, type: string, id: string): Promise<Recorded> {
  const { rows } = await tx.query<{ kind: WriterKind | null; keys: string[] | null; authors: string[] | null }>(sql`SELECT w.kind, w.keys,
      (SELECT r.authors FROM resource r WHERE r.type = ${type} AND r.id = ${id}) AS authors
    FROM (SELECT 1) AS one LEFT JOIN access_writer w ON w.type = ${type} AND w.id = ${id}`);
  const row = rows[0];
  return { writer: row?.kind ? { kind: row.kind, keys: row.keys ?? [] } : undefined, authors: row?.authors ?? [] };
}

/** Record-management types the patient (or guardian) manages whoever recorded them. */
const PATIENT_MANAGED = ['Consent', 'RelatedPerson'];

const meets = (a: readonly string[], b: readonly string[]): boolean => a.some((k) => b.includes(k));

/** True when the actor is the row's writer: same keys (a feeder: same client id), or an author of the document. */
function isWriter(actor: DmpActor, recorded: Recorded, resourceType: string): boolean {
  if (actor.kind === 'patient' || actor.kind === 'guardian') return false;
  const authors = resourceType === 'DocumentReference' ? recorded.authors : [];
  return meets(actor.keys, [...(recorded.writer?.keys ?? []), ...authors]);
}

/**
 * True when this professional (or feeder) created the row: its recorded writer's keys are his. Patients and
 * guardians are never "writers" in this sense (their entries are the record's own).
 */
export async function wroteRow(tx: Statements, actor: DmpActor, type: string, id: string): Promise<boolean> {
  return isWriter(actor, await loadRecorded(tx, type, id), type);
}

const labelsAndStatus = (doc: DocumentReference | undefined): string =>
  JSON.stringify([doc?.status, doc?.securityLabel ?? [], doc?.meta?.security ?? []]);

/**
 * Provenance decides who may change or delete a clinical or record row (DESIGN §5, issue 11 attack 5): a
 * professional what he wrote (or authored, for a document), a feeder what it submitted, the patient (or his
 * guardian) his own entries and the management of his record (RelatedPerson, Communication). Rows with no recorded
 * writer (older than migration 142, or written by the server) change for the patient only, except documents, whose
 * `authors` answer. A document's labels and status are its author's (the patient masks through Consent).
 * Extracted resources change only by replacing their document.
 */
export async function assertMayChange(tx: Statements, actor: DmpActor, event: WriteEvent, patientIds: readonly string[]): Promise<void> {
  const what = `${event.resourceType}/${event.id}`;
  const source = sourceDocument(event.previous) ?? sourceDocument(event.resource);
  if (source) throw forbidden(`${what} is part of document ${source}: replace the document to change it`);
  const recorded = await loadRecorded(tx, event.resourceType, event.id);
  const owner = (actor.kind === 'patient' || actor.kind === 'guardian') && !!event.compartment && patientIds.includes(event.compartment);
  const writer = recorded.writer;
  // Consents and guardians are the management of the patient's own record: his, whoever recorded them.
  if (owner && PATIENT_MANAGED.includes(event.resourceType)) return;
  if (event.resourceType === 'DocumentReference') {
    // A document the patient submitted is his, whoever it names as author: the author list is what he typed, and
    // naming someone must not hand him the document.
    const mayChange = writer?.kind === 'patient' ? owner : isWriter(actor, recorded, event.resourceType);
    if (mayChange) return;
    if (event.interaction !== 'delete' && labelsAndStatus(event.previous as DocumentReference) !== labelsAndStatus(event.resource as DocumentReference)) {
      throw forbidden(`Only the author of ${what} (or the feeder that submitted it) may change its status or security labels; the patient masks a document with a Consent`);
    }
    throw forbidden(`Only the author of ${what} (or the feeder that submitted it) may change or delete it`);
  }
  if (writer?.kind === 'server') {
    // Written by the server's own procedures (fixtures, an operator's tool) with no actor: no actor may rewrite it.
    throw forbidden(`${what} was written by the server: it changes only through the procedure that wrote it`);
  }
  if (!writer) {
    if (owner) return;
    throw forbidden(`${what} has no recorded writer: only the patient may change or delete it`);
  }
  if (writer.kind === 'patient') {
    if (owner) return;
    throw forbidden(`${what} was entered by the patient: only the patient or his legal guardian may change or delete it`);
  }
  if (isWriter(actor, recorded, event.resourceType)) return;
  throw forbidden(`Only who wrote ${what} (the professional, or the feeder that submitted it) may change or delete it`);
}

/** Ids of the documents a DocumentReference newly `replaces` (relatesTo), compared with its previous version. */
function newlyReplaced(doc: DocumentReference | undefined, previous: DocumentReference | undefined): string[] {
  const ids = (d: DocumentReference | undefined): string[] =>
    (d?.relatesTo ?? []).filter((r) => r.code === 'replaces').map((r) => /(?:^|\/)DocumentReference\/([A-Za-z0-9\-.]{1,64})$/.exec(r.target?.reference ?? '')?.[1] ?? '').filter((id) => !!id && id !== d?.id);
  const before = new Set(ids(previous));
  return ids(doc).filter((id) => !before.has(id));
}

/**
 * The refusal of a replacement whose parent this server does not hold (or holds hidden from the caller: hidden is
 * absent, so both answers are the same text). Named by the identifier the sender gave when there is one, else by the
 * reference it sent: never by an id the caller could not know.
 */
export function unknownReplacedDocument(relation: { target?: { reference?: string; identifier?: { system?: string; value?: string } } }, where?: string): FhirError {
  const id = relation.target?.identifier;
  const named = id?.value ? `the document ${id.system ? `${id.system}|` : ''}${id.value}` : (relation.target?.reference ?? 'an unnamed document');
  const text = `relatesTo replaces ${named}, which does not exist in this record: a replacement needs its parent document (nothing was written)`;
  return unprocessable([{ severity: 'error', code: 'processing', diagnostics: text, details: { text }, ...(where ? { expression: [where] } : {}) }]);
}

/** The relation of a document that names DocumentReference/<id> (literal reference). */
export function relationNaming(doc: DocumentReference | undefined, id: string): NonNullable<DocumentReference['relatesTo']>[number] {
  const idOf = (reference: string | undefined) => /(?:^|\/)DocumentReference\/([A-Za-z0-9\-.]{1,64})$/.exec(reference ?? '')?.[1];
  return (doc?.relatesTo ?? []).find((r) => idOf(r.target?.reference) === id) ?? { code: 'replaces', target: { reference: `DocumentReference/${id}` } };
}

/**
 * Replacing a document supersedes it and retires what was extracted from it (documents/replacement.ts, as the
 * server): only who may change the replaced document may replace it. A replaced document that does not exist is
 * left to the replacement hook (422).
 */
export async function assertMayReplace(tx: Statements, actor: DmpActor, event: WriteEvent, patientIds: readonly string[]): Promise<void> {
  if (event.resourceType !== 'DocumentReference' || !event.resource) return;
  for (const id of newlyReplaced(event.resource as DocumentReference, event.previous as DocumentReference | undefined)) {
    const { rows } = await tx.query<{ text: string | null; compartment: string | null }>(sql`SELECT text, compartment FROM resource WHERE type = 'DocumentReference' AND id = ${id} AND NOT deleted`);
    if (!rows[0]?.text) continue;
    const previous = JSON.parse(rows[0].text) as DocumentReference;
    try {
      await assertMayChange(tx, actor, { interaction: 'delete', resourceType: 'DocumentReference', id, versionId: 0, previous, compartment: rows[0].compartment }, patientIds);
    } catch (refusal) {
      // Hidden is absent: a document the caller may not see is answered like a missing one (replacement.ts).
      if (!(await isVisible(tx, actor, id))) throw unknownReplacedDocument(relationNaming(event.resource as DocumentReference, id));
      throw refusal;
    }
  }
}

const documentOf = (resource: Resource | undefined): string | undefined =>
  /^(?:.*\/)?DocumentReference\/([A-Za-z0-9\-.]{1,64})$/.exec((resource as { securityContext?: { reference?: string } } | undefined)?.securityContext?.reference ?? '')?.[1];

/**
 * A Binary whose securityContext names a DocumentReference becomes part of that document (its visibility, masks and
 * author govern it): attaching one to a stored document is changing that document, for who may change it (its
 * author, the feeder that submitted it) — not for anyone who writes in the record. A document hidden from the caller
 * never gets here: named-documents.ts answers it as absent (422) before the record is looked at.
 */
export async function assertMayAttach(tx: Statements, actor: DmpActor, event: WriteEvent, patientIds: readonly string[]): Promise<void> {
  if (event.resourceType !== 'Binary' || !event.resource) return;
  const docId = documentOf(event.resource);
  if (!docId) return;
  if (event.interaction !== 'create') {
    // A Binary stays with the document that governs it (adopted, or named before): moved to another one of the same
    // writer, the content left the masks of the first (the store keeps it governed; the body must not say otherwise).
    const { rows } = await tx.query<{ doc_id: string | null }>(sql`SELECT doc_id FROM resource WHERE type = 'Binary' AND id = ${event.id}`);
    const governing = rows[0]?.doc_id;
    if (governing && governing !== docId) throw forbidden(`Binary/${event.id} is part of DocumentReference/${governing}: it stays with it (replace the document to change its content)`);
  }
  if (docId === documentOf(event.previous)) return;
  // A document created earlier in this transaction (queued, not written yet) adopts it as one drawn later would.
  if (tx instanceof WriteTransaction && tx.isQueued('DocumentReference', docId)) return;
  const { rows } = await tx.query<{ text: string | null; compartment: string | null }>(sql`SELECT text, compartment FROM resource WHERE type = 'DocumentReference' AND id = ${docId} AND NOT deleted`);
  if (!rows[0]?.text) return; // drawn in this transaction, not written yet: the document adopts it
  const doc = JSON.parse(rows[0].text) as DocumentReference;
  try {
    await assertMayChange(tx, actor, { interaction: 'update', resourceType: 'DocumentReference', id: docId, versionId: 0, previous: doc, resource: doc, compartment: rows[0].compartment }, patientIds);
  } catch {
    throw forbidden(`Only the author of DocumentReference/${docId} (or the feeder that submitted it) may add a Binary to it`);
  }
}

/** Whether the actor may read the row (a DocumentReference unless told): his read predicate, at this instant. */
export async function isVisible(tx: Statements, actor: DmpActor, id: string, resourceType = 'DocumentReference'): Promise<boolean> {
  const plan = decideAccess(actor, 'read', resourceType, { now: new Date() });
  if (plan.effect !== 'allow') return false;
  const { rows } = await tx.query(sql`SELECT 1 FROM resource r WHERE r.type = ${resourceType} AND r.id = ${id} AND NOT r.deleted AND (${compileAccess(plan)})`);
  return rows.length > 0;
}
