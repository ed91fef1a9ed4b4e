import type { DocumentReference, Resource } from '@medplum/fhirtypes';
import { markSystemContext } from '../access/access-hooks';
import { relationNaming, unknownReplacedDocument } from '../access/provenance';
import type { Hooks, RequestContext, WriteEvent } from '../fhir/context';
import { unprocessable } from '../fhir/errors';
import type { FhirService } from '../fhir/service';
import type { WriteTransaction } from '../store/write-transaction';
import { SOURCE_DOCUMENT_URL } from '../store/derived-columns';
import type { ScopedRepository } from '../store/repository';
import { TRUE } from '../store/sql';
import { bareRepositoryInWrite, repositoryInWrite } from '../system/system-repository';
import { retireExtracted } from './retire-extracted';

/** Ids of the documents a DocumentReference replaces (`relatesTo replaces` → `DocumentReference/<id>`). */
export function replacedIds(doc: DocumentReference | undefined): string[] {
  return (doc?.relatesTo ?? [])
    .filter((r) => r.code === 'replaces')
    .map((r) => /^(?:.*\/)?DocumentReference\/([A-Za-z0-9\-.]{1,64})$/.exec(r.target?.reference ?? '')?.[1])
    .filter((id): id is string => !!id && id !== doc?.id);
}

/**
 * TD2.1 replacement, at write time in the same transaction: when a DocumentReference newly `replaces` another,
 * the old one becomes `superseded`, and every resource extracted from it (rows whose source-document
 * extension — the `doc_id` column — names it) is retired (see retireExtracted). The replaced document must
 * exist and belong to the same patient (422 otherwise). Works whatever the entry point: CDA RPLC, MHD
 * `relatesTo`, ITI-105; the IG's FHIRPath PATCH of the old status then finds it already superseded.
 */
export function replacementHooks(service: () => FhirService | undefined): Hooks {
  return {
    async afterWrite(tx: WriteTransaction, ctx: RequestContext, event: WriteEvent): Promise<void> {
      if (event.resourceType !== 'DocumentReference' || !event.resource) return;
      const before = new Set(replacedIds(event.previous as DocumentReference | undefined));
      const replaced = replacedIds(event.resource as DocumentReference).filter((id) => !before.has(id));
      if (!replaced.length) return;
      const svc = service();
      const repo = svc ? repositoryInWrite(svc.repo, tx) : bareRepositoryInWrite(tx);
      // The writer's right to replace was checked (access/provenance.ts assertMayReplace); the replaced rows are
      // changed by the server, which alone changes extracted resources.
      const system: RequestContext = { ...ctx, access: TRUE, state: ctx.state.copy() };
      markSystemContext(system);
      for (const id of replaced) await supersede(repo, system, { id, relation: relationNaming(event.resource as DocumentReference, id) }, event.compartment ?? null);
    },
  };
}

async function supersede(repo: ScopedRepository, ctx: RequestContext, parent: { id: string; relation: ReturnType<typeof relationNaming> }, compartment: string | null): Promise<void> {
  const { id } = parent;
  const old = await repo.readRow(ctx, 'DocumentReference', id);
  if (!old || old.deleted) throw unknownReplacedDocument(parent.relation);
  if (old.compartment !== compartment) throw unprocessable(`DocumentReference/${id} belongs to another patient: a document can only replace one of the same record`);
  const doc = JSON.parse(old.text as string) as DocumentReference;
  if (doc.status !== 'superseded') await repo.update(ctx, { ...doc, status: 'superseded' });
  for (const row of await repo.governedBy(ctx, id)) {
    const resource = JSON.parse(row.text as string) as Resource & { extension?: { url: string }[] };
    // Rows governed by the document without being extracted from it (its SubmissionSet List) are history, kept.
    if (!resource.extension?.some((e) => e.url === SOURCE_DOCUMENT_URL)) continue;
    const retired = retireExtracted(resource);
    if (retired) await repo.update(ctx, retired);
  }
}
