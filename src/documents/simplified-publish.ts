import { randomUUID } from 'node:crypto';
import type { Binary, Bundle, BundleEntry, DocumentReference, List, Resource } from '@medplum/fhirtypes';
import { badRequest, unprocessable } from '../fhir/errors';
import { editJsonKeepingNumbers } from '../fhir/json-numbers';
import type { FhirRequest, FhirResponse } from '../fhir/request';
import { expandSubmission, sha1Base64, type ExpandedSubmission } from './mhd-submission';
import type { InsSystemsPolicy } from '../validation/ins-test-systems';

export const SUBMISSION_SET_CODE = { system: 'https://profiles.ihe.net/ITI/MHD/CodeSystem/MHDlistTypes', code: 'submissionset' };
const DESIGNATION_TYPE_URL = 'https://profiles.ihe.net/ITI/MHD/StructureDefinition/ihe-designationType';
const SOURCE_ID_URL = 'https://profiles.ihe.net/ITI/MHD/StructureDefinition/ihe-sourceId';

/** True for an ITI-105 simplified publish: `POST DocumentReference` carrying its document inline (`attachment.data`). */
export function isSimplifiedPublish(req: FhirRequest): boolean {
  if (req.method !== 'POST' || req.segments.length !== 1 || req.segments[0] !== 'DocumentReference') return false;
  const body = req.body as DocumentReference | undefined;
  return !!body && !Buffer.isBuffer(body) && !Array.isArray(body) && body.resourceType === 'DocumentReference' && (body.content ?? []).some((c) => c.attachment?.data !== undefined);
}

/**
 * IHE ITI-105: turns the published DocumentReference into a Provide Document Bundle: each inline attachment
 * becomes a Binary (url → the Binary, hash and size filled), and a SubmissionSet List is derived from the
 * DocumentReference. CDA content is then mapped like any MHD submission.
 */
export function toProvideBundle(doc: DocumentReference, options: { maxCdaSize: number; insSystems: InsSystemsPolicy; ifNoneExist?: string }): { expanded: ExpandedSubmission; documentIndex: number } {
  const docUrl = `urn:uuid:${randomUUID()}`;
  const published: DocumentReference = structuredClone(doc);
  delete published.id;
  const binaries: BundleEntry[] = [];
  published.content.forEach((content, i) => {
    const attachment = content.attachment;
    if (attachment.data === undefined) return;
    if (attachment.url) throw unprocessable([{ severity: 'error', code: 'invalid', diagnostics: 'ITI-105: attachment.url must be absent when attachment.data is sent', expression: [`DocumentReference.content[${i}].attachment.url`] }]);
    if (!attachment.contentType) throw badRequest('ITI-105: attachment.contentType is required', [`DocumentReference.content[${i}].attachment.contentType`]);
    const bytes = Buffer.from(attachment.data, 'base64');
    if (attachment.hash !== undefined && attachment.hash !== sha1Base64(bytes)) {
      throw unprocessable([{ severity: 'error', code: 'value', diagnostics: `attachment.hash ${attachment.hash} is not the SHA-1 of attachment.data`, expression: [`DocumentReference.content[${i}].attachment.hash`] }]);
    }
    const binaryUrl = `urn:uuid:${randomUUID()}`;
    const binary: Binary = { resourceType: 'Binary', contentType: attachment.contentType, securityContext: { reference: docUrl }, data: attachment.data };
    binaries.push({ fullUrl: binaryUrl, resource: binary, request: { method: 'POST', url: 'Binary' } });
    delete attachment.data;
    attachment.url = binaryUrl;
    // hash and size are filled (and checked) by the submission expansion below, from the Binary entry.
  });
  const entries: BundleEntry[] = [
    { fullUrl: `urn:uuid:${randomUUID()}`, resource: submissionSetFor(published, docUrl), request: { method: 'POST', url: 'List' } },
    { fullUrl: docUrl, resource: published, request: { method: 'POST', url: 'DocumentReference', ifNoneExist: options.ifNoneExist } },
    ...binaries,
  ];
  const expanded = expandSubmission({ resourceType: 'Bundle', type: 'transaction', entry: entries }, { maxCdaSize: options.maxCdaSize, insSystems: options.insSystems });
  // The client sent one DocumentReference, not a bundle: its problems are named on the DocumentReference.
  const cdaSubjects = expanded.cdaSubjects.map((s) => ({ ...s, where: 'DocumentReference.content' }));
  return { expanded: { ...expanded, cdaSubjects }, documentIndex: 1 };
}

/** The SubmissionSet the server derives for a simplified publish (ITI-105 leaves it to the server). */
export function submissionSetFor(doc: DocumentReference, docUrl: string): List {
  const author = doc.author?.[0]?.reference;
  const contained = author?.startsWith('#') ? doc.contained?.filter((c) => `#${c.id}` === author) : undefined;
  const list: List = {
    resourceType: 'List',
    status: 'current',
    mode: 'working',
    code: { coding: [SUBMISSION_SET_CODE] },
    subject: doc.subject as List["subject"],
    date: new Date().toISOString(),
    identifier: [{ use: 'official', system: 'urn:ietf:rfc:3986', value: `urn:uuid:${randomUUID()}` }],
    extension: [
      { url: SOURCE_ID_URL, valueIdentifier: { system: 'urn:ietf:rfc:3986', value: `urn:uuid:${randomUUID()}` } },
      ...(doc.category?.[0] ? [{ url: DESIGNATION_TYPE_URL, valueCodeableConcept: doc.category[0] }] : []),
    ],
    entry: [{ item: { reference: docUrl } }],
  };
  if (contained?.length) {
    list.contained = contained as Resource[];
    list.source = { reference: author };
  } else if (author) {
    list.source = { reference: author };
  }
  return list;
}

/** The create-style answer of ITI-105 (201, the DocumentReference, Location) out of the transaction response. */
export function documentResponse(response: FhirResponse, documentIndex: number): FhirResponse {
  const bundle = JSON.parse(response.json ?? '{}') as Bundle;
  const entry = bundle.entry?.[documentIndex];
  const status = Number((entry?.response?.status ?? '201').split(' ')[0]);
  const headers: Record<string, string> = {};
  if (entry?.response?.location) headers.Location = entry.response.location;
  if (entry?.response?.etag) headers.ETag = entry.response.etag;
  if (entry?.response?.lastModified) headers['Last-Modified'] = new Date(entry.response.lastModified).toUTCString();
  // The resource is cut out of the response text, not re-serialised: its decimals keep their digits (2.050).
  const json = entry?.resource && response.json ? editJsonKeepingNumbers<Bundle>(response.json, (b) => b.entry?.[documentIndex]?.resource as Bundle) : undefined;
  return { status, headers, json };
}
