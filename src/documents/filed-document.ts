import { statementsOf } from '../system/system-repository';
import type { DocumentReference } from '@medplum/fhirtypes';
import type { CdaImportPlan } from '../cda';
import type { RequestContext } from '../fhir/context';
import { conflict } from '../fhir/errors';
import type { FhirService } from '../fhir/service';
import { sql } from '../store/sql';
import { callerKnowsDocument } from '../access/known-documents';
import { documentHolding, documentKey, filedOnce } from './document-key';
import type { ResourceRef } from './intake-ledger';
import { resolvePatientReference } from './patient-match';

/**
 * The resources filed for a document that another channel (ITI-65, ITI-105) already filed: its DocumentReference
 * first, then every row it governs (Binary, SubmissionSet, extracted resources). Undefined when the document id is
 * not held. The same bytes in the same record are the same document; other bytes, or another record → 409 (a change is
 * a replacement). The patient is matched as for any import (identity vigilance): a replay whose traits disagree with
 * the record is refused when the import ends (`identity-verdict.ts`), so no record is named to a sender whose document
 * does not agree with it, and the 409 of other bytes reads the same whatever the traits. A caller who does not know the filed document gets the 409 of a duplicate
 * id, whatever its content and record.
 */
export async function filedByOtherChannel(svc: FhirService, ctx: RequestContext, plan: CdaImportPlan): Promise<{ documentReferenceId: string; resources: ResourceRef[] } | undefined> {
  const key = documentKey(plan.documentId);
  const holder = key ? await documentHolding(statementsOf(svc.repo), key) : undefined;
  if (!key || !holder) return undefined;
  await assertCallerKnowsFiled(svc, ctx, plan, holder);
  const { rows } = await statementsOf(svc.repo).query<{ type: string; id: string; compartment: string | null; text: string | null }>(
    sql`SELECT type, id, compartment, text FROM resource WHERE doc_id = ${holder} AND NOT deleted ORDER BY (type = 'DocumentReference' AND id = ${holder}) DESC, rid`,
  );
  const doc = rows[0]?.id === holder ? (JSON.parse(rows[0].text ?? '{}') as DocumentReference) : undefined;
  const patient = await resolvePatientReference(svc, ctx, plan);
  if (!doc || doc.content?.[0]?.attachment?.hash !== plan.sha1 || patient !== `Patient/${rows[0].compartment}`) {
    throw conflict(`Document ${key} is already in the DMP with other content or in another record: a document id is filed once; send a new document that replaces it (RPLC)`);
  }
  return { documentReferenceId: holder, resources: rows.map((r) => `${r.type}/${r.id}`) };
}

/**
 * Hidden is absent: a caller who does not know the filed document (neither reads nor may change it) learns only that
 * its id is taken — not its record, not whether his bytes are the same, not its bytes' SHA-1 (known-documents.ts).
 * A claim whose DocumentReference is gone is answered so too.
 */
export async function assertCallerKnowsFiled(svc: FhirService, ctx: RequestContext, plan: CdaImportPlan, documentReferenceId: string | null): Promise<void> {
  if (documentReferenceId && (await callerKnowsDocument(statementsOf(svc.repo), ctx, documentReferenceId))) return;
  throw filedOnce(documentKey(plan.documentId) ?? plan.documentId.value);
}
