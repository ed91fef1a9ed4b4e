import type { Bundle, DocumentReference } from '@medplum/fhirtypes';
import { unknownReplacedDocument } from '../access/provenance';
import type { RequestContext } from '../fhir/context';
import type { FhirService } from '../fhir/service';
import { resolveRelatesTo } from './plan-bundle';
import { resolveSubject } from './subject-identity';

/**
 * ITI-65 / ITI-105: conditional `relatesTo` targets of the submitted DocumentReferences (`DocumentReference?identifier=…`)
 * are resolved exactly as a CDA RPLC of `$import` is: by the system, within the record of the document's subject, and
 * then left to provenance (a feeder replaces only what its organisation submitted; another's document answers as
 * absent). The core would resolve them through the caller's view, in which a feeder sees nothing. A replaced document
 * the record does not hold → 422 naming it, before anything is written.
 */
export async function resolveSubmissionReplacements(svc: FhirService, lookupCtx: RequestContext, bundle: Bundle, requestEntries: number): Promise<void> {
  for (const [index, entry] of (bundle.entry ?? []).slice(0, requestEntries).entries()) {
    if (entry.resource?.resourceType !== 'DocumentReference') continue;
    const where = `Bundle.entry[${index}]`;
    const doc = entry.resource as DocumentReference;
    if (!doc.relatesTo?.some((r) => r.target?.reference?.startsWith('DocumentReference?'))) continue;
    const subject = doc.subject?.reference ? await resolveSubject(svc, lookupCtx, doc.subject.reference) : undefined;
    if (!subject) {
      // No record to look in: the parent cannot be this record's.
      const relation = doc.relatesTo.find((r) => r.code === 'replaces' && r.target?.reference?.startsWith('DocumentReference?'));
      if (relation) throw unknownReplacedDocument(relation, where);
      continue;
    }
    await resolveRelatesTo(svc, lookupCtx, { doc, where }, `Patient/${subject.id}`);
  }
}
