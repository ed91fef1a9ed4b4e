import type { Patient } from '@medplum/fhirtypes';
import type { CdaImportPlan } from '../cda';
import type { RequestContext } from '../fhir/context';
import { FhirError, unprocessable } from '../fhir/errors';
import { parseQueryString, parseStored } from '../fhir/handlers/conditional';
import type { FhirService } from '../fhir/service';
import { lookupExisting } from './existing-lookup';
import { assertIdentityAgrees } from './identity-traits';
import { deferIdentityRefusal } from './identity-verdict';
import { matchPatient } from './patient-match';

/** A CDA document sent inside an MHD submission (ITI-65, ITI-105), and the record its DocumentReference names. */
export interface CdaSubject {
  /** The patient of the CDA header (`recordTarget`): identifiers and identity traits, as `$import` reads them. */
  identifiers: CdaImportPlan['patientIdentifiers'];
  traits: CdaImportPlan['patientTraits'];
  /** The client's `DocumentReference.subject.reference` (`Patient/<id>`, an absolute URL, or `Patient?identifier=…`). */
  subject: string | undefined;
  /** Where the document is in the request, for the OperationOutcome (`Bundle.entry[2]`). */
  where: string;
}

const refuse = (where: string, text: string) =>
  unprocessable([{ severity: 'error', code: 'business-rule', diagnostics: text, details: { text }, expression: [where] }]);

/** The stored Patient a subject reference names, through the caller's lookup predicate (feeders resolve patients by identity). */
export async function resolveSubject(svc: FhirService, ctx: RequestContext, reference: string): Promise<(Patient & { id: string }) | undefined> {
  const literal = /(?:^|\/)Patient\/([A-Za-z0-9\-.]{1,64})$/.exec(reference)?.[1];
  const criteria: [string, string][] | undefined = literal
    ? [['_id', literal]]
    : reference.startsWith('Patient?') ? parseQueryString(reference.slice('Patient?'.length)) : undefined;
  if (!criteria) return undefined;
  // The client's own criteria meet the caller's look-up rules (a feeder: one exact identifier, no hop) before they run,
  // as the transaction's conditional reference would: this check answers first, and must not answer for them.
  if (!literal) ctx.assertLookupCriteria?.('Patient', criteria);
  const matches = await lookupExisting(svc, ctx, 'Patient', criteria);
  return matches.length === 1 ? (parseStored(matches[0]) as Patient & { id: string }) : undefined;
}

/**
 * Issue 13 item 1 on the MHD channels: a CDA is filed only in the record of the patient its header names. The
 * header's patient is matched exactly as `$import` matches it (INS only when present; else a local identifier of the
 * same assigning authority) and must be the DocumentReference's subject, and its birth date, sex, birth name and first
 * name must agree with that record. Anything else → 422 naming the mismatch, nothing written. A subject that names no
 * record is answered at once (it is the sender's own reference); the header's comparison with the records — another
 * record's INS, an INS no record carries, a trait that disagrees — only once the submission's writes are authorised,
 * before it commits (`identity-verdict.ts`): answered at once, it told a sender that may not file in the subject's record
 * (an author the patient never authorised) whether an INS is that record's (403 from the author check that followed) or
 * not (422), and whether it is another record's or nobody's (two texts). The record the header matched is not named
 * when it is not the subject's: an allowed sender learns that the two disagree, not whose record it is.
 */
export async function assertCdaSubjectAgrees(svc: FhirService, ctx: RequestContext, cda: CdaSubject): Promise<void> {
  const header = cda.identifiers.map((id) => `${id.system}|${id.value}`).join(', ');
  if (!cda.subject) throw refuse(cda.where, `The DocumentReference carrying the CDA document has no subject: it cannot be checked against the CDA header's patient (${header})`);
  const subject = await resolveSubject(svc, ctx, cda.subject);
  if (!subject) throw refuse(cda.where, `The DocumentReference subject ${cda.subject} names no single existing record: the CDA document (patient ${header}) cannot be filed`);
  let match;
  let unmatched: string | undefined;
  try {
    match = await matchPatient(svc, ctx, cda.identifiers);
  } catch (err) {
    if (!(err instanceof FhirError) || err.status !== 422) throw err;
    // An INS no record carries: the document cannot be the subject's, whatever its other identifiers say.
    unmatched = (err as Error).message;
  }
  if (!match || match.patient.id !== subject.id) {
    const why = unmatched ?? 'a document is filed only in the record of the patient it names';
    deferIdentityRefusal(ctx, () => {
      throw refuse(cda.where, `The CDA header's patient (${header}) is not the DocumentReference subject Patient/${subject.id}: ${why}`);
    });
    return;
  }
  const matched = match;
  deferIdentityRefusal(ctx, () => assertIdentityAgrees(cda.traits, matched.patient, matched.by));
}

/** Checks every CDA document of a submission against its DocumentReference subject (see assertCdaSubjectAgrees). */
export async function assertSubmissionSubjects(svc: FhirService, ctx: RequestContext, subjects: CdaSubject[]): Promise<void> {
  for (const cda of subjects) await assertCdaSubjectAgrees(svc, ctx, cda);
}

/**
 * The context to look patients up in before a submission's transaction authorises its entries: the one a
 * DocumentReference create gets (a feeder resolves patients by identity without reading records), on a copy.
 */
export async function submissionLookupContext(svc: FhirService, ctx: RequestContext): Promise<RequestContext> {
  const lookupCtx: RequestContext = { ...ctx, state: ctx.state.copy() };
  for (const hook of svc.hooks) await hook.authorize?.(lookupCtx, { interaction: 'create', resourceType: 'DocumentReference' });
  return lookupCtx;
}
