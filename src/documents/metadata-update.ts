import type { DocumentReference, Parameters } from '@medplum/fhirtypes';
import type { Operation } from 'fast-json-patch';
import type { Actor, RequestContext } from '../fhir/context';
import { forbidden, methodNotAllowed, notFound, preconditionFailed } from '../fhir/errors';
import { findMatches, parseStored } from '../fhir/handlers/conditional';
import { etag, type FhirRequest } from '../fhir/request';
import type { FhirService } from '../fhir/service';
import type { StoredResource } from '../store/repository';
import { or, sql } from '../store/sql';
import { applyLabelOperations } from './security-labels';

/** True for a PATCH of a DocumentReference (by id or conditional). */
export function isDocumentPatch(req: FhirRequest): boolean {
  return req.method === 'PATCH' && req.segments[0] === 'DocumentReference' && (req.segments.length === 2 || (req.segments.length === 1 && req.query.length > 0));
}

const STATUS_PATHS = new Set(['/status', 'DocumentReference.status']);
const isLabelPath = (path: string): boolean => path === '/securityLabel' || path.startsWith('/securityLabel/');

/** The status a patch sets, if it sets one. */
function statusSet(body: unknown): string | undefined {
  if (Array.isArray(body)) return (body as Operation[]).filter((op) => op.path === '/status' && (op.op === 'replace' || op.op === 'add')).map((op) => (op as { value: string }).value).pop();
  const params = body as Parameters;
  for (const operation of params.parameter ?? []) {
    const path = operation.part?.find((p) => p.name === 'path')?.valueString;
    const value = operation.part?.find((p) => p.name === 'value');
    if (STATUS_PATHS.has(path ?? '')) return value?.valueCode ?? value?.valueString;
  }
  return undefined;
}

/** Refuses (405) any patch operation outside `status` and `securityLabel` (DMP TD3.3). */
function assertMetadataOnly(body: unknown): void {
  if (Array.isArray(body)) {
    for (const op of body as Operation[]) {
      if (op.op === 'test') continue;
      if (op.op === 'move' || op.op === 'copy' || !(STATUS_PATHS.has(op.path) || isLabelPath(op.path))) {
        throw methodNotAllowed(`A DocumentReference's metadata update may only change status and securityLabel (not ${op.op} ${op.path})`);
      }
    }
    return;
  }
  if ((body as Parameters | undefined)?.resourceType === 'Parameters') {
    for (const operation of (body as Parameters).parameter ?? []) {
      const path = operation.part?.find((p) => p.name === 'path')?.valueString ?? '';
      if (!STATUS_PATHS.has(path) && !path.startsWith('DocumentReference.securityLabel')) {
        throw methodNotAllowed(`A DocumentReference's metadata update may only change status and securityLabel (not ${path})`);
      }
    }
  }
}

/**
 * A feeding system reads no document (decide-access.ts: a system's plan reads the directory only), yet it patches the
 * status and labels of the documents it submitted, which it does not see (`target`). What changes nothing is a read: a
 * JSON Patch `test` compares the stored document with a value (a failing one answers 422 and writes nothing, so it read
 * any field one comparison at a time), and a patch of tests alone, or of no operation, was answered 200 with the
 * document's current version — what its author did to it since included. Both are refused here, before any document
 * is looked up, so the answer is the same for its own document, another's and a missing id.
 */
function assertSystemPatchChanges(ctx: RequestContext, body: unknown): void {
  if (ctx.actor?.kind !== 'system') return;
  const READS_NOTHING = 'A feeding system reads no document';
  if (Array.isArray(body)) {
    if ((body as Operation[]).some((op) => op?.op === 'test')) {
      throw forbidden(`${READS_NOTHING}: a JSON Patch test compares the stored DocumentReference with a value, which reads it. Send the change alone (If-Match pins the version it applies to)`);
    }
    if (!body.length) throw forbidden(`${READS_NOTHING}: a PATCH that changes nothing would only answer it`);
    return;
  }
  if ((body as Parameters | undefined)?.resourceType === 'Parameters' && !(body as Parameters).parameter?.length) {
    throw forbidden(`${READS_NOTHING}: a PATCH that changes nothing would only answer it`);
  }
}

async function target(svc: FhirService, ctx: RequestContext, req: FhirRequest): Promise<{ stored: StoredResource; unseen?: boolean }> {
  if (req.segments.length === 2) {
    const id = req.segments[1];
    const seen = await svc.repo.readRow(ctx, 'DocumentReference', id);
    if (seen && !seen.deleted) return { stored: seen };
    // A feeder reads nothing, yet the PDSm replacement patches the status of the document it submitted: a document
    // the caller wrote or authored is its to change (access/provenance.ts decides at write), seen or not.
    // Feeders only (closed by default): a professional or a patient reads, through the access predicate, every
    // document he may change; one hidden from him (he is blocked, the record is closed) is absent. Widened for him,
    // a JSON Patch `test` read the hidden document and the 403 told him of the block (attack sweep 10).
    const keys = ctx.actor?.kind === 'system' ? actorKeys(ctx.actor) : [];
    if (!seen && keys.length) {
      const row = await svc.repo.readRow({ ...ctx, access: writtenBy(keys) }, 'DocumentReference', id);
      if (row && !row.deleted) return { stored: row, unseen: true };
    }
    return { stored: await svc.repo.read(ctx, 'DocumentReference', id) };
  }
  const matches = await findMatches(svc, ctx, 'DocumentReference', req.query, false);
  if (matches.length > 1) throw preconditionFailed('Conditional patch criteria match more than one DocumentReference');
  if (!matches.length) throw notFound('No DocumentReference matches the conditional patch criteria');
  return { stored: matches[0] };
}

/**
 * An access predicate over `resource r` seeing the rows these keys wrote (the recorded writer, access_writer of
 * migration 142) or authored: read through the scoped repository like any other predicate.
 */
function writtenBy(keys: string[]) {
  return sql`(r.authors && ${keys}::text[] OR EXISTS (SELECT 1 FROM access_writer w WHERE w.type = r.type AND w.id = r.id AND w.keys && ${keys}::text[]))`;
}

/** Every key naming the actor as a document author: access-module keys, plus `Practitioner/<id>`. */
function actorKeys(actor: Actor): string[] {
  const keys = [...((actor as Actor & { keys?: string[] }).keys ?? [])];
  if (actor.kind === 'practitioner') keys.push(`Practitioner/${actor.id}`);
  return keys;
}

/**
 * Only an author may logically delete a document (status entered-in-error; DMP TD3.3c → 403 otherwise). The
 * authors are the row's `authors` column (Practitioner references and identifier keys) and the professional who wrote
 * it (`access_writer`: a document naming no author is its writer's, as provenance says); the actor's keys come
 * from the access module (`DmpActor.keys`). With no authenticated actor, the delete is refused (fail closed).
 */
export async function assertAuthor(svc: FhirService, ctx: RequestContext, documentId: string): Promise<void> {
  if (!ctx.actor) throw forbidden('Only an author of the document may delete it, and the request has no authenticated actor');
  // The document was just found through the caller's access or, for a conditional patch, his look-up predicate.
  const seen = ctx.lookupAccess ? { ...ctx, access: or([ctx.access, ctx.lookupAccess]) } : ctx;
  const authors = new Set(await svc.repo.documentAuthors(seen, documentId));
  if (!actorKeys(ctx.actor).some((k) => authors.has(k))) throw forbidden('Only an author of the document may delete it (status entered-in-error)');
}

/**
 * DMP TD3.3 metadata update: a PATCH of a DocumentReference may change only `status` and `securityLabel`
 * (405 otherwise); labels are patched as a set; a logical delete needs an author. Answers the request to run:
 * a PATCH by id pinned to the version read here (If-Match), so a concurrent change gives 412, not a lost update.
 */
export async function guardMetadataPatch(svc: FhirService, ctx: RequestContext, req: FhirRequest): Promise<{ req: FhirRequest; unseen?: string }> {
  assertMetadataOnly(req.body);
  assertSystemPatchChanges(ctx, req.body);
  const { stored, unseen } = await target(svc, ctx, req);
  let body = req.body;
  if (Array.isArray(body) && (body as Operation[]).some((op) => isLabelPath(op.path))) {
    const current = (parseStored(stored) as DocumentReference).securityLabel ?? [];
    const labelOps = (body as Operation[]).filter((op) => isLabelPath(op.path));
    const labels = applyLabelOperations(current, labelOps);
    body = [...(body as Operation[]).filter((op) => !isLabelPath(op.path)), { op: current.length ? 'replace' : 'add', path: '/securityLabel', value: labels }];
  }
  if (statusSet(body) === 'entered-in-error') await assertAuthor(svc, ctx, stored.id);
  const pinned = { ...req, segments: ['DocumentReference', stored.id], query: [], body: body as FhirRequest['body'], headers: { ...req.headers, ifMatch: req.headers.ifMatch ?? etag(stored.versionId) } };
  return { req: pinned, unseen: unseen ? stored.id : undefined };
}

/**
 * Runs `next` with one more DocumentReference visible to the request: the one a feeder patches without reading (see
 * target). The access predicate is restored afterwards, so later entries of a transaction see what they saw before.
 */
export async function withDocumentVisible<T>(ctx: RequestContext, id: string, next: () => Promise<T>): Promise<T> {
  const saved = ctx.access;
  ctx.access = or([saved, sql`(r.type = 'DocumentReference' AND r.id = ${id})`]);
  try {
    return await next();
  } finally {
    ctx.access = saved;
  }
}
