import type { Bundle, OperationOutcomeIssue, Resource } from '@medplum/fhirtypes';
import type { Hooks, RequestContext } from '../fhir/context';
import { unprocessable } from '../fhir/errors';
import { decodePathSegments } from '../fhir/request-input';
import type { FhirRequest } from '../fhir/request';
import { StateKey } from '../fhir/request-state';
import type { FhirService } from '../fhir/service';
import { SOURCE_DOCUMENT_URL } from '../store/derived-columns';
import { sourceDocument } from './provenance';

/**
 * The source-document extension ties a resource to the document it was extracted from: the row then follows that
 * document's visibility, masks and author, and changes only by replacing it (provenance.ts). Only the importer
 * (CDA import, ITI-65/ITI-105 intake) sets it, on the resources it builds from the document itself. A client that
 * sent it could make its own entry look like document data (hidden with the document, attributed to its author,
 * locked from correction) — so the client's input is checked once, as received, before the server adds anything.
 */
const CLIENT_INPUT_STATE = new StateKey<'checked'>('access.clientInputChecked');
/** The problems found in the client's input, raised by `authorize` once the interaction itself is allowed. */
const FORGED_STATE = new StateKey<OperationOutcomeIssue[]>('access.forgedServerFields');

const WRITE_METHODS = ['POST', 'PUT', 'PATCH'];

const issue = (expression: string, text: string): OperationOutcomeIssue => ({
  severity: 'error', code: 'business-rule', diagnostics: text, details: { text }, expression: [expression],
});

/** Paths of every place in a JSON value where the source-document extension URL appears. */
function urlPaths(node: unknown, path: string, out: string[] = []): string[] {
  if (node === SOURCE_DOCUMENT_URL) out.push(path);
  if (Array.isArray(node)) node.forEach((item, i) => urlPaths(item, `${path}[${i}]`, out));
  else if (node && typeof node === 'object' && !Buffer.isBuffer(node)) {
    for (const [key, value] of Object.entries(node)) urlPaths(value, `${path}.${key}`, out);
  }
  return out;
}

/**
 * A PUT that restates, unchanged, the extension of a row the caller can see: not a forgery (the row is document data
 * already, and provenance answers 403 "replace the document"). A row hidden from him answers like a missing one.
 */
async function restatesVisibleRow(svc: FhirService, ctx: RequestContext, method: string, segments: string[], resource: Resource): Promise<boolean> {
  if (method !== 'PUT' || segments.length !== 2 || segments[0] !== resource.resourceType) return false;
  const stored = await svc.repo.readRow(ctx, segments[0], segments[1]);
  if (!stored?.text) return false;
  const claimed = sourceDocument(resource);
  return claimed !== undefined && claimed === sourceDocument(JSON.parse(stored.text) as Resource);
}

/** The source-document problems of one write (a request, or one entry of a client's Bundle). */
async function writeIssues(svc: FhirService, ctx: RequestContext, method: string, segments: string[], body: unknown, at: string): Promise<OperationOutcomeIssue[]> {
  const paths = urlPaths(body, at);
  if (!paths.length) return [];
  const resource = body as Resource;
  if (!Array.isArray(body) && (await restatesVisibleRow(svc, ctx, method, segments, resource))) return [];
  return paths.map((p) => issue(p, `The source-document extension (${SOURCE_DOCUMENT_URL}) is set by the server's document import only: a client may not send it`));
}

/** The entries of a client's Bundle as (method, path segments, resource). */
function entryWrites(bundle: Bundle, baseUrl: string): { method: string; segments: string[]; body: unknown; at: string }[] {
  return (Array.isArray(bundle.entry) ? bundle.entry : []).map((entry, i) => {
    const url = typeof entry?.request?.url === 'string' ? entry.request.url : '';
    const path = (url.startsWith(baseUrl) ? url.slice(baseUrl.length) : url).replace(/^\//, '').split('?')[0];
    let segments: string[] = [];
    try {
      segments = decodePathSegments(path);
    } catch {
      // A malformed path is the Bundle handler's 400; for this check the entry is simply not a restatement.
    }
    return { method: String(entry?.request?.method ?? ''), segments, body: entry?.resource, at: `Bundle.entry[${i}].resource` };
  });
}

/** Everything wrong in the client's request as received. */
async function requestIssues(svc: FhirService, ctx: RequestContext, req: FhirRequest): Promise<OperationOutcomeIssue[]> {
  if (!WRITE_METHODS.includes(req.method) || !req.body || Buffer.isBuffer(req.body)) return [];
  const body = req.body as Resource;
  if (req.segments.length === 0 && !Array.isArray(body) && body.resourceType === 'Bundle') {
    const issues: OperationOutcomeIssue[] = [];
    for (const e of entryWrites(body as Bundle, req.baseUrl)) issues.push(...(await writeIssues(svc, ctx, e.method, e.segments, e.body, e.at)));
    return issues;
  }
  return writeIssues(svc, ctx, req.method, req.segments, body, Array.isArray(body) ? 'PATCH' : String(body.resourceType ?? 'body'));
}

/**
 * The request interceptor that reads the client's input once, at the outermost dispatch (Bundle entries and the
 * resources the importer adds are dispatched inside it and are not the client's), and keeps what it found for
 * `assertNoForgedFields`.
 */
export function sourceDocumentGuard(): Hooks {
  return {
    async interceptRequest(svc, ctx, req, next) {
      if (ctx.state.get(CLIENT_INPUT_STATE)) return next(req);
      ctx.state.set(CLIENT_INPUT_STATE, 'checked');
      const issues = await requestIssues(svc, ctx, req);
      if (issues.length) ctx.state.set(FORGED_STATE, issues);
      return next(req);
    },
  };
}

/**
 * 422 when the client's input carries a field only the server sets. Called by the access `authorize` once the
 * interaction is allowed: whoever may not write at all still gets his 403, not a hint about the body.
 */
export function assertNoForgedFields(ctx: RequestContext): void {
  const issues = ctx.state.get(FORGED_STATE);
  if (!issues) return;
  ctx.state.delete(FORGED_STATE);
  throw unprocessable(issues);
}
