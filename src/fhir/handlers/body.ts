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
  return { resource: body, binaryData: body.resourceType === 'Binary' ? req.binaryData : undefined };
}
