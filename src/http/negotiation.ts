import type { Request } from 'express';
import { badRequest, notAcceptable, unsupportedMediaType } from '../fhir/errors';
import { parseJsonBody } from '../fhir/request-input';

const JSON_TYPES = ['application/fhir+json', 'application/json', 'application/json+fhir'];
const FORMAT_ALIASES: Record<string, string> = { json: 'application/fhir+json', 'application/json': 'application/json', 'application/fhir+json': 'application/fhir+json' };

/** The JSON media type to answer with (`_format` wins over Accept); 406 for anything we cannot produce. */
export function responseType(req: Request, rawBinaryAllowed: boolean): string {
  const format = typeof req.query._format === 'string' ? req.query._format : undefined;
  if (format) {
    const type = FORMAT_ALIASES[format.split(';')[0].trim()];
    if (!type) throw notAcceptable(`_format=${format} is not supported: this server speaks JSON (json, application/fhir+json)`);
    return type;
  }
  const accept = req.headers.accept;
  if (!accept || rawBinaryAllowed) return 'application/fhir+json';
  const ranges = accept.split(',').map((r) => r.split(';')[0].trim().toLowerCase());
  if (ranges.some((r) => r === 'application/fhir+json' || r === 'application/json+fhir' || r === '*/*' || r === 'application/*')) return 'application/fhir+json';
  if (ranges.includes('application/json')) return 'application/json';
  throw notAcceptable(`Cannot produce ${accept}: this server answers application/fhir+json or application/json`);
}

/** Media type of the request body without parameters, lower-cased. */
export function bodyType(req: Request): string {
  return (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
}

/** Decodes a body: FHIR JSON, JSON Patch, form-encoded search, or raw bytes for Binary; 415 otherwise. */
export function decodeBody(req: Request, segments: string[]): unknown {
  const raw = req.body as Buffer | undefined;
  if (!raw || !Buffer.isBuffer(raw) || raw.length === 0) return undefined;
  const type = bodyType(req);
  // A search's parameters travel in the query or a form (FHIR R4 http.html#search): a JSON body (a Parameters) was read
  // as one unknown form parameter and ignored, so the search answered every row the caller may see, unfiltered, as if
  // that was what he asked (attack sweep 12).
  if (req.method === 'POST' && segments[segments.length - 1] === '_search' && type !== 'application/x-www-form-urlencoded') {
    throw unsupportedMediaType(`POST _search takes its parameters as application/x-www-form-urlencoded (or in the URL), not ${type || 'a body without Content-Type'}`);
  }
  if (JSON_TYPES.includes(type) || type === 'application/json-patch+json') {
    return parseJsonBody(utf8Text(raw, req.headers['content-type'] ?? ''));
  }
  if (type === 'application/x-www-form-urlencoded' && segments[segments.length - 1] === '_search') return undefined; // read as parameters
  if (segments[0] === 'Binary' && type) return raw;
  // Operations (e.g. CDA import) take their own media types and check them themselves.
  if (segments.some((s) => s.startsWith('$'))) return raw;
  if (!type) throw unsupportedMediaType('The request has a body but no Content-Type: send application/fhir+json');
  throw unsupportedMediaType(`Content-Type ${type} is not supported here: send application/fhir+json`);
}

/** Bytes that are not UTF-8 (ignoreBOM: a BOM stays in the text, and JSON refuses it as before). */
const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * A JSON body's text. FHIR's JSON is UTF-8 (R4 http.html, "Content Types and encodings"): another declared charset answers 415, and bytes that are not
 * UTF-8 answer 400. Read as UTF-8 whatever was declared, a body sent in ISO-8859-1 was stored with each accented letter
 * replaced by U+FFFD — a patient's name changed silently, with a 201 (attack sweep 9, request shape).
 */
function utf8Text(raw: Buffer, contentType: string): string {
  const charset = /;\s*charset\s*=\s*"?([^";\s]*)"?/i.exec(contentType)?.[1]?.toLowerCase();
  if (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8') {
    throw unsupportedMediaType(`charset=${charset} is not supported: FHIR JSON is UTF-8 (send charset=utf-8, or no charset)`);
  }
  try {
    return STRICT_UTF8.decode(raw);
  } catch {
    throw badRequest('The body is not valid UTF-8: FHIR JSON is UTF-8');
  }
}
