import { createHash } from 'node:crypto';
import type { Binary, Bundle, BundleEntry, DocumentReference } from '@medplum/fhirtypes';
import type { UnmappedContent } from '../cda';
import type { CdaHeaderRead } from '../cda/cda-header';
import { isInsRefusal, isNoPatientIdentifier } from '../cda/header/patient';
import type { CdaReader } from '../cda/plan-workers';
import { assertHeaderInsSystemsAccepted } from './ins-system-check';
import type { InsSystemsPolicy } from '../validation/ins-test-systems';
import { FhirError, unprocessable } from '../fhir/errors';
import { CDA_MEDIA_TYPES, isCdaMediaType, looksLikeCda, looksLikeXmlCda } from './cda-body';
import { documentKey } from './document-key';
import { planPatientReference, rewriteBundle } from './plan-bundle';
import type { CdaSubject } from './subject-identity';

/** What expanding a submission added: the entries beyond the client's, and mapping warnings. */
export interface ExpandedSubmission {
  bundle: Bundle;
  /** Number of entries the client sent (the response keeps one entry per request entry, in order — MHD). */
  requestEntries: number;
  warnings: string[];
  /** Content of the submitted documents that was not extracted, named (see `unmappedOutcome`). */
  unmapped: UnmappedContent[];
  /** Each mapped CDA document's header patient and its DocumentReference subject, to check before writing. */
  cdaSubjects: CdaSubject[];
}

/** Base64 SHA-1 of bytes (the XDS/MHD `hash`). */
export function sha1Base64(bytes: Buffer): string {
  return createHash('sha1').update(bytes).digest('base64');
}

/** How a submission reads its CDA documents: the reader (the import's worker pool) and the parse limits. */
export interface SubmissionCdaOptions {
  /** MAX_CDA_SIZE: a larger CDA → 413. */
  maxCdaSize: number;
  /** The INS systems this server accepts (INS_TEST_OIDS; the test and demo NIR are refused in production). */
  insSystems: InsSystemsPolicy;
  /** CDA_MARKUP_LIMIT: more tags and attributes → 413 (default: the parser's own, `DEFAULT_MAX_MARKUP`). */
  maxCdaMarkup?: number;
  /**
   * Where every CDA parse of the submission runs: the `$import` worker pool (CDA_WORKER_MEMORY_MB, CDA_JOB_TIMEOUT_MS,
   * CDA_QUEUE_LIMIT), so that a hostile document inside a bundle gets the answers it gets through `$import`.
   */
  reader: CdaReader;
}

/**
 * IHE MHD ITI-65 on a transaction Bundle: checks `hash`/`size` of each attachment whose Binary is in the
 * request (422 on a mismatch; fills them when absent), and when a Binary is a CDA document, maps it as the
 * CDA import does and appends the extracted resources to the same transaction, linked to the client's
 * DocumentReference. A CDA that is safe but not mappable (e.g. no document id) is kept as content only. Each
 * Binary without a securityContext gets its DocumentReference as one, so it shares the document's compartment and
 * visibility even when it comes after the DocumentReference in the bundle.
 */
export async function expandSubmission(bundle: Bundle, options: SubmissionCdaOptions): Promise<ExpandedSubmission> {
  const entries = [...(bundle.entry ?? [])];
  const requestEntries = entries.length;
  const warnings: string[] = [];
  const unmapped: UnmappedContent[] = [];
  const cdaSubjects: CdaSubject[] = [];
  const conditionals = new Map<string, string>();
  for (const [index, entry] of (bundle.entry ?? []).entries()) {
    const binary = entry.resource?.resourceType === 'Binary' ? (entry.resource as Binary) : undefined;
    if (!binary?.data) continue;
    const where = `Bundle.entry[${index}]`;
    const bytes = Buffer.from(binary.data, 'base64');
    // A CDA document, whatever it is declared as: its header names its patient, who must be its document's subject.
    // Parsed here only when the mapping below will not read it (a mapped CDA is parsed once, by the mapping); parsed,
    // like the mapping, by the reader's workers (`looksLikeXmlCda` itself reads at most 64 KB, on this thread).
    const xml = looksLikeXmlCda(bytes);
    let header: Promise<CdaHeaderRead> | undefined;
    const cda = (): Promise<CdaHeaderRead> => (header ??= options.reader.header(bytes, parseLimits(options)));
    const isCda = async () => xml && (await cda()).clinicalDocument;
    if (!isCdaMediaType(binary.contentType) && (await isCda())) throw mislabelledCda(where, binary.contentType);
    if (!entry.fullUrl || entry.request?.method !== 'POST') {
      if (await isCda()) throw refuseCda(where, `A CDA document is submitted as a new Binary (POST, with a fullUrl) that its DocumentReference points at; ${where} is not`);
      continue;
    }
    const docs = documentsPointingAt(entries, entry.fullUrl);
    for (const { doc, position } of docs) checkAttachment(doc, position, bytes, index);
    const owner = docs.find((d) => d.position === 0) ?? docs[0];
    // The Binary is governed by its document (compartment, visibility), whatever the entry order.
    if (owner?.fullUrl && !binary.securityContext) binary.securityContext = { reference: owner.fullUrl };
    if (!owner && (await isCda())) throw refuseCda(where, `The CDA document of ${where} is pointed at by no DocumentReference of the submission: its patient cannot be checked against a subject`);
    // Every other document pointing at it (or all, when none has it first) is checked on the header alone.
    const mapped = owner?.position === 0 && isCdaMediaType(binary.contentType) && looksLikeCda(bytes) ? owner : undefined;
    for (const d of docs) {
      if (d !== mapped && (await isCda())) pushSubject(cdaSubjects, headerSubject(await cda(), d.doc, where));
    }
    if (!mapped) continue;
    const extracted = await extractCda(bytes, mapped, { binaryUrl: entry.fullUrl, where, cda: xml ? cda : undefined }, options, { warnings, unmapped, cdaSubjects });
    for (const e of extracted) {
      const key = e.request?.ifNoneExist ? `${e.request.url}?${e.request.ifNoneExist}` : undefined;
      if (key && conditionals.has(key)) continue; // one author is one entry across documents of the bundle
      if (key && e.fullUrl) conditionals.set(key, e.fullUrl);
      entries.push(e);
    }
  }
  // A header naming its patient under a refused INS system (the test NIR in production) is refused, mapped or not.
  for (const subject of cdaSubjects) assertHeaderInsSystemsAccepted(subject.identifiers, options.insSystems, subject.where);
  return { bundle: { ...bundle, entry: entries }, requestEntries, warnings, unmapped, cdaSubjects };
}

const refuseCda = (where: string, text: string) =>
  unprocessable([{ severity: 'error', code: 'business-rule', diagnostics: text, details: { text }, expression: [where] }]);

/** A CDA document declared as something else would be filed unread: its header's patient never checked (attack sweep 5). */
function mislabelledCda(where: string, contentType: string | undefined) {
  return refuseCda(where, `${where} carries a CDA document (ClinicalDocument) declared as ${contentType ?? 'no contentType'}: send it as ${CDA_MEDIA_TYPES.join(', ')}, so that its header's patient is checked against its DocumentReference's subject`);
}

/**
 * The header's patient of a CDA the submission does not map (another content than the document's first, a document
 * pointing at the same Binary, a body that cannot be mapped), to be checked against `doc`'s subject like a mapped
 * one. A header that names no patient identifier at all (the IG's dummy CDA) names nobody to compare: undefined.
 * Any other header the reader refuses (two recordTargets, a birthTime that is no date …) is refused here too: before,
 * every such 422 was taken for "nobody named", and another person's report with two recordTargets, or a birth date
 * `19800230`, was filed unchecked in the subject's record (attack sweep 11).
 */
function headerSubject(cda: CdaHeaderRead, doc: DocumentReference, where: string): CdaSubject | undefined {
  if (cda.patient) return { identifiers: cda.patient.identifiers, traits: cda.patient.traits, subject: doc.subject?.reference, where };
  if (!cda.patientRefusal) return undefined; // not a ClinicalDocument: no header
  const err = new FhirError(cda.patientRefusal.status, cda.patientRefusal.outcome);
  if (isNoPatientIdentifier(err)) return undefined;
  if (err.status === 422 && !isInsRefusal(err)) {
    throw refuseCda(where, `${where}: the CDA header's patient cannot be read, so it cannot be checked against the DocumentReference subject: ${err.message}`);
  }
  throw err;
}

/** The parse limits of a submission's CDA documents, as `$import` applies them. */
function parseLimits(options: SubmissionCdaOptions): { maxBytes: number; maxMarkup?: number } {
  return { maxBytes: options.maxCdaSize, maxMarkup: options.maxCdaMarkup };
}

/**
 * The 422 too-costly of the worker pool (CDA_WORKER_MEMORY_MB, CDA_JOB_TIMEOUT_MS): the document costs more than the
 * server spends on one, and is refused as `$import` refuses it, not kept as unmappable content.
 */
function isOverWorkerLimit(err: FhirError): boolean {
  return err.status === 422 && err.outcome.issue.length > 0 && err.outcome.issue.every((i) => i.code === 'too-costly');
}

function pushSubject(subjects: CdaSubject[], subject: CdaSubject | undefined): void {
  if (subject) subjects.push(subject);
}

function documentsPointingAt(entries: BundleEntry[], url: string): { doc: DocumentReference; position: number; fullUrl?: string }[] {
  const found: { doc: DocumentReference; position: number; fullUrl?: string }[] = [];
  for (const e of entries) {
    if (e.resource?.resourceType !== 'DocumentReference') continue;
    e.resource.content?.forEach((c, position) => {
      if (c.attachment?.url === url) found.push({ doc: e.resource as DocumentReference, position, fullUrl: e.fullUrl });
    });
  }
  return found;
}

/** Hash and size must describe the bytes sent with them; absent ones are filled in. */
function checkAttachment(doc: DocumentReference, position: number, bytes: Buffer, binaryIndex: number): void {
  const attachment = doc.content[position].attachment;
  const hash = sha1Base64(bytes);
  const where = [`Bundle.entry[${binaryIndex}]`, `DocumentReference.content[${position}].attachment`];
  if (attachment.hash !== undefined && attachment.hash !== hash) {
    throw unprocessable([{ severity: 'error', code: 'value', diagnostics: `attachment.hash ${attachment.hash} is not the SHA-1 of the Binary sent (${hash})`, expression: where }]);
  }
  if (attachment.size !== undefined && attachment.size !== bytes.length) {
    throw unprocessable([{ severity: 'error', code: 'value', diagnostics: `attachment.size ${attachment.size} is not the size of the Binary sent (${bytes.length})`, expression: where }]);
  }
  attachment.hash = hash;
  attachment.size = bytes.length;
}

/**
 * A CDA document's id is its DocumentReference's masterIdentifier (IHE XDS: the uniqueId of a CDA document is its
 * ClinicalDocument/id): filled when absent, 422 when it names another document — else the same document could be filed
 * twice, once by `$import` under its CDA id and once under the id the client chose.
 */
function assertSameDocumentId(doc: DocumentReference, documentId: { system: string; value: string }, where: string): void {
  if (!doc.masterIdentifier) {
    doc.masterIdentifier = { ...documentId };
    return;
  }
  const [sent, cda] = [documentKey(doc.masterIdentifier), documentKey(documentId)];
  if (sent !== cda) {
    throw unprocessable([{ severity: 'error', code: 'business-rule', diagnostics: `DocumentReference.masterIdentifier ${sent ?? '(incomplete)'} is not the id of the CDA document it carries (${cda}): the uniqueId of a CDA document is its ClinicalDocument/id`, expression: [where, 'DocumentReference.masterIdentifier'] }]);
  }
}

/** The plan's extracted resources, re-pointed at the client's DocumentReference, Binary and patient. */
async function extractCda(
  bytes: Buffer,
  owner: { doc: DocumentReference; fullUrl?: string },
  binary: { binaryUrl: string; where: string; cda?: () => Promise<CdaHeaderRead> },
  options: SubmissionCdaOptions,
  out: { warnings: string[]; unmapped: UnmappedContent[]; cdaSubjects: CdaSubject[] },
): Promise<BundleEntry[]> {
  const { warnings } = out;
  const { binaryUrl } = binary;
  let plan;
  try {
    // The plan's own Binary of the document is dropped below (the client's Binary holds the bytes): no base64 copy of it.
    plan = await options.reader.plan(bytes, { ...parseLimits(options), documentBytesApart: true });
  } catch (err) {
    // Hostile or broken XML is refused; a well-formed CDA we cannot map stays a document without extraction.
    if (err instanceof FhirError && err.status === 422 && !isInsRefusal(err) && !isOverWorkerLimit(err)) {
      warnings.push(`CDA content kept without extraction: ${err.message}`);
      // Not mapped, still checked: a CDA whose body cannot be mapped is filed only in the record its header names.
      const header = binary.cda ? await binary.cda() : undefined;
      if (header?.clinicalDocument) pushSubject(out.cdaSubjects, headerSubject(header, owner.doc, binary.where));
      return [];
    }
    throw err;
  }
  warnings.push(...plan.warnings);
  out.unmapped.push(...plan.unmapped);
  const planDoc = plan.bundle.entry?.find((e) => e.resource?.resourceType === 'DocumentReference');
  const planDr = planDoc?.resource as DocumentReference;
  assertSameDocumentId(owner.doc, plan.documentId, binary.where);
  // The CDA says which document it replaces (RPLC): a client that did not say it too gets it said for it, so that the
  // parent is superseded (or the submission refused when the record does not hold it) on every channel alike.
  if (planDr.relatesTo?.length && !owner.doc.relatesTo?.some((r) => r.code === 'replaces')) owner.doc.relatesTo = [...(owner.doc.relatesTo ?? []), ...planDr.relatesTo];
  // Whatever happens to the extraction, the header's patient must be the subject's (checked before writing).
  out.cdaSubjects.push({ identifiers: plan.patientIdentifiers, traits: plan.patientTraits, subject: owner.doc.subject?.reference, where: binary.where });
  const planBinaryUrl = planDr.content[0].attachment.url as string;
  const subject = owner.doc.subject?.reference;
  if (!owner.fullUrl || !subject) {
    warnings.push('CDA content kept without extraction: its DocumentReference has no fullUrl or no subject');
    return [];
  }
  const map = new Map<string, string>([
    [planDoc?.fullUrl as string, owner.fullUrl],
    [planBinaryUrl, binaryUrl],
    [planPatientReference(plan), subject],
  ]);
  // Embedded PDFs become extra content of the client's DocumentReference, each with its Binary.
  for (const extra of planDr.content.slice(1)) owner.doc.content.push(extra);
  const kept = (plan.bundle.entry ?? []).filter((e) => e !== planDoc && e.fullUrl !== planBinaryUrl);
  return rewriteBundle({ resourceType: 'Bundle', type: 'transaction', entry: kept }, map).entry ?? [];
}
