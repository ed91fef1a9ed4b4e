import type { Resource } from '@medplum/fhirtypes';
import { badRequest } from '../errors';
import type { FhirRequest } from '../request';

/** The request body as a resource of the URL's type (400 otherwise); a raw Binary body becomes a Binary, and a JSON Binary takes the bytes its transaction held apart. */
export function bodyResource(req: FhirRequest, type: string): { resource: Resource; binaryData?: Buffer } {
  if (Buffer.isBuffer(req.body)) {
    if (type !== 'Binary') throw badRequest(`A ${type} must be sent as FHIR JSON (Content-Type: application/fhir+json)`);
    const contentType = (req.headers.contentType ?? 'application/octet-stream').split(';')[0].trim();
    return { resource: { resourceType: 'Binary', contentType }, binaryData: req.body };
  }
  const body = req.body as Resource | undefined;
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw badRequest('The request body must be a FHIR resource (a JSON object)');
  if (typeof body.resourceType !== 'string') throw badRequest('The request body has no resourceType', ['resourceType']);
  if (body.resourceType !== type) {
    throw badRequest(`The body is a ${body.resourceType} but the URL is for ${type}`, ['resourceType']);
  }
  // Checked here, before any handler compares or uses it: a conditional update that matched nothing took an object id
  // as the new resource's id and failed on it (500, found by the production fuzz test).
  if (body.id !== undefined && typeof body.id !== 'string') throw badRequest(`The body id must be a string (a FHIR id), not ${describeJson(body.id)}`, ['id']);
  return { resource: body, binaryData: body.resourceType === 'Binary' ? req.binaryData : undefined };
}

/** What a JSON value is, for a message: its kind, never its content (a body may carry health data). */
function describeJson(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}
