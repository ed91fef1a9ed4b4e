import type { Bundle, OperationOutcomeIssue, Parameters, Resource } from '@medplum/fhirtypes';
import { validate as validateJsonPatch, type Operation } from 'fast-json-patch';
import { badRequest, FhirError, unprocessable } from './errors';
import type { FhirRequest } from './request';
import type { FhirService } from './service';
import { isValidId } from '../store/repository';

// A request's body is checked for its JSON shapes (the FHIR schema, without profiles) before any hook reads it.
// Interceptors and authorize hooks look at fields before a handler validates: `"content": {}` on a DocumentReference made
// the document interceptor call `.some` on an object, `"entry": {}` or `"data": {}` in an MHD transaction made it iterate
// an object or decode one as base64 (500s, found by `test/api/access/fuzz-production.test.ts`). The answer is the 422 the
// handler would give, only earlier; it depends on nothing stored, so giving it before authorization tells nothing.

/**
 * Where the body is a resource of the URL's type that a create or an update sends, or a patch: its shapes are checked
 * now. A request the router would refuse anyway (a type not offered: 404, an interaction not offered: 405, an invalid id: 400) keeps
 * that answer (an invalid id is the update handler's 400): `routable` says whether it gets that far.
 */
export function assertBodyShape(svc: FhirService, req: FhirRequest, routable: (req: FhirRequest) => boolean): void {
  const body = req.body;
  if (req.method === 'PATCH' && body && !Buffer.isBuffer(body)) return routable(req) ? assertPatchShape(svc, body) : undefined;
  if (!body || Buffer.isBuffer(body) || Array.isArray(body) || typeof body !== 'object') return;
  const [type, id] = req.segments;
  if (req.segments.length === 0 && req.method === 'POST' && (body as Resource).resourceType === 'Bundle') return assertBundleShape(svc, body as Bundle);
  const write = (req.method === 'POST' && req.segments.length === 1) || (req.method === 'PUT' && req.segments.length <= 2);
  if (!write || !type || /^[_$]/.test(type) || (id !== undefined && !isValidId(id))) return;
  if ((body as Resource).resourceType === type && routable(req)) svc.validate(body as Resource, { profiles: false });
}

/**
 * A batch or transaction: its envelope (entry, fullUrl, request), each entry's resource standing in as an empty
 * Parameters (a resource the schema requires nothing of); then, for a transaction, each entry's resource — it lands whole
 * or not at all, and the document interceptor reads its entries before any is dispatched. A batch entry's resource is
 * checked when that entry is dispatched, so that it fails alone.
 */
function assertBundleShape(svc: FhirService, bundle: Bundle): void {
  const entries: unknown = bundle.entry;
  const envelope = {
    ...bundle,
    entry: Array.isArray(entries) ? entries.map((e) => (isObject(e) && isObject(e.resource) ? { ...e, resource: { resourceType: 'Parameters' } } : e)) : entries,
  };
  svc.validate(envelope as Resource, { profiles: false });
  if (bundle.type !== 'transaction' || !Array.isArray(entries)) return;
  entries.forEach((entry, i) => {
    const resource = (entry as { resource?: Resource }).resource;
    if (!resource) return;
    try {
      svc.validate(resource, { profiles: false });
    } catch (err) {
      if (!(err instanceof FhirError) || err.status !== 422) throw err;
      throw unprocessable(err.outcome.issue.map((issue) => inEntry(issue, i)));
    }
  });
}

/**
 * A JSON Patch is an array of operations RFC 6902 knows (an object each, a string `op` and `path`, a `value` or `from`
 * where the operation needs one); a FHIRPath Patch a Parameters whose every `operation` has a `type` and a `path`. The
 * document module's metadata guard read `op.path.startsWith` on `[null]`, `[[]]` or a numeric path (500s).
 */
function assertPatchShape(svc: FhirService, body: unknown): void {
  if (Array.isArray(body)) {
    body.forEach((operation, i) => {
      if (!isObject(operation)) throw badRequest(`Invalid JSON Patch: operation ${i} must be an object`);
    });
    const error = validateJsonPatch(body as Operation[]);
    if (error) throw badRequest(`Invalid JSON Patch: operation ${error.index ?? '?'}: ${error.message.split('\n')[0]}`);
    return;
  }
  if (!isObject(body) || body.resourceType !== 'Parameters') return;
  svc.validate(body as unknown as Resource, { profiles: false });
  for (const parameter of (body as unknown as Parameters).parameter ?? []) {
    if (parameter.name !== 'operation') continue;
    const part = (name: string) => parameter.part?.find((p) => p.name === name);
    if (typeof part('type')?.valueCode !== 'string' || typeof part('path')?.valueString !== 'string') throw badRequest('Each FHIRPath Patch operation needs a type and a path');
  }
}

/** An issue of an entry's resource, its paths written from the Bundle (`Bundle.entry[2].resource.content`). */
function inEntry(issue: OperationOutcomeIssue, index: number): OperationOutcomeIssue {
  const prefix = `Bundle.entry[${index}].resource`;
  const expression = issue.expression?.map((e) => e.replace(/^[A-Z][A-Za-z]*/, prefix));
  return { ...issue, diagnostics: `${prefix}: ${issue.diagnostics ?? ''}`.trim(), ...(expression ? { expression } : {}) };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return !!value && typeof value === 'object' && !Array.isArray(value);
}
