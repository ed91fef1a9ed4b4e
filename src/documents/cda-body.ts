import { badRequest, payloadTooLarge, unsupportedMediaType } from '../fhir/errors';
import type { FhirRequest } from '../fhir/request';

/** Media types under which a raw CDA document is accepted (the DMP/XDS mimeType is text/xml). */
export const CDA_MEDIA_TYPES = ['application/hl7-cda+xml', 'application/xml', 'text/xml'];

/** True for a content type a CDA document may travel under. */
export function isCdaMediaType(contentType: string | undefined): boolean {
  return CDA_MEDIA_TYPES.includes((contentType ?? '').split(';')[0].trim().toLowerCase());
}

/** True when bytes look like a CDA document (a ClinicalDocument element near the start; XSL-wrapped too). */
export function looksLikeCda(bytes: Buffer): boolean {
  return bytes.subarray(0, 64 * 1024).includes('ClinicalDocument');
}

/**
 * True when bytes are XML (after a BOM and blanks, they open with `<`) and look like a CDA document: what a reader
 * would open as one, whatever media type it was declared with.
 */
export function looksLikeXmlCda(bytes: Buffer): boolean {
  let i = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  while (i < bytes.length && (bytes[i] === 0x20 || bytes[i] === 0x09 || bytes[i] === 0x0a || bytes[i] === 0x0d)) i += 1;
  return bytes[i] === 0x3c && looksLikeCda(bytes);
}

/** The raw CDA bytes of an operation request: 415 for another media type, 413 above maxBytes, 400 when empty. */
export function cdaBody(req: FhirRequest, maxBytes: number): Buffer {
  if (!isCdaMediaType(req.headers.contentType)) {
    throw unsupportedMediaType(`Send the CDA document as ${CDA_MEDIA_TYPES.join(', ')} (got ${req.headers.contentType ?? 'no Content-Type'})`);
  }
  if (!Buffer.isBuffer(req.body) || req.body.length === 0) throw badRequest('The request has no CDA document in its body');
  if (req.body.length > maxBytes) throw payloadTooLarge(`The CDA document is ${req.body.length} bytes; the limit is ${maxBytes}`);
  return req.body;
}
