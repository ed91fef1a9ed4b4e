import type { Request, Response } from 'express';
import type { Hooks, RequestContext } from '../fhir/context';
import { assertResponseSize } from '../fhir/limits';
import { assertCleanQuery, decodePathSegments } from '../fhir/request-input';
import type { FhirRequest, FhirResponse } from '../fhir/request';
import { dispatch, interactionOf } from '../fhir/router';
import { isDenial, recordDenial, takeDenials } from '../fhir/denied-requests';
import type { FhirService } from '../fhir/service';
import { FALSE } from '../store/sql';
import { decodeBody, responseType } from './negotiation';
import { RequestState } from '../fhir/request-state';

function header(req: Request, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v.join(', ') : v;
}

/** The absolute base URL of the FHIR API for this request. */
export function requestBaseUrl(req: Request, configured: string | undefined, basePath: string): string {
  if (configured) return `${configured.replace(/\/+$/, '')}${basePath}`;
  return `${req.protocol}://${req.get('host')}${basePath}`;
}

/** Turns an Express request into a FhirRequest (the core knows nothing of Express). */
export function toFhirRequest(req: Request, baseUrl: string): FhirRequest {
  const segments = decodePathSegments(req.path);
  const queryString = req.originalUrl.includes('?') ? req.originalUrl.slice(req.originalUrl.indexOf('?') + 1) : '';
  const query: [string, string][] = [...new URLSearchParams(queryString).entries()];
  const body = decodeBody(req, segments);
  if (req.method === 'POST' && segments[segments.length - 1] === '_search' && Buffer.isBuffer(req.body)) {
    query.push(...new URLSearchParams(req.body.toString('utf8')).entries());
  }
  assertCleanQuery(query);
  return {
    method: req.method as FhirRequest['method'],
    baseUrl,
    segments,
    query,
    headers: {
      ifMatch: header(req, 'if-match'),
      ifNoneMatch: header(req, 'if-none-match'),
      ifNoneExist: header(req, 'if-none-exist'),
      ifModifiedSince: header(req, 'if-modified-since'),
      prefer: header(req, 'prefer'),
      contentType: header(req, 'content-type'),
      accept: header(req, 'accept'),
    },
    body: body as FhirRequest['body'],
  };
}

/**
 * A Binary's bytes are whatever its writer sent, under the content type he declared (`text/html`, `image/svg+xml` …):
 * answered raw, they must never run as a page of this origin nor be sniffed into one. The sandbox gives them an opaque
 * origin with scripts off; `attachment` keeps a browser from rendering them in place (apps fetch them: the header does
 * not change what `fetch` reads).
 */
const RAW_BINARY_HEADERS = {
  'Content-Security-Policy': "sandbox; default-src 'none'",
  'Content-Disposition': 'attachment',
} as const;

/** Writes a FhirResponse: stored JSON as-is, Binary bytes raw, headers as given. */
export function sendFhirResponse(req: Request, res: Response, response: FhirResponse, mediaType: string): void {
  res.status(response.status);
  for (const [k, v] of Object.entries(response.headers ?? {})) if (v !== undefined) res.setHeader(k, v);
  // Every answer is exactly the type it declares: no browser guesses another from the bytes.
  res.setHeader('X-Content-Type-Options', 'nosniff');
  if (response.binary) {
    for (const [k, v] of Object.entries(RAW_BINARY_HEADERS)) res.setHeader(k, v);
    res.setHeader('Content-Type', response.binary.contentType);
    res.end(req.method === 'HEAD' ? undefined : response.binary.data);
    return;
  }
  if (response.json === undefined || response.status === 304) {
    res.end();
    return;
  }
  res.setHeader('Content-Type', `${mediaType}; charset=utf-8`);
  res.end(req.method === 'HEAD' ? undefined : response.json);
}

/**
 * A fresh per-request context that allows nothing (closed by default): only an authentication or authorization
 * hook widens `access`, so an app composed without one answers every read with nothing.
 */
export function newContext(req: Request, requestId: string): RequestContext {
  return { requestId, access: FALSE, state: new RequestState(), remoteAddress: req.ip, userAgent: req.get('user-agent') };
}

/** Runs the authenticate hooks (401 on failure). */
export async function authenticate(hooks: Hooks[], req: Request, ctx: RequestContext): Promise<void> {
  for (const hook of hooks) {
    if (hook.authenticate) await hook.authenticate({ headers: req.headers as Record<string, string | string[] | undefined>, method: req.method, path: req.path }, ctx);
  }
}

/** Tells the onDenied hooks of every refusal the request met (itself, or the Bundle entries refused inside it). */
async function tellDenials(svc: FhirService, ctx: RequestContext): Promise<void> {
  for (const info of takeDenials(ctx)) for (const hook of svc.hooks) await hook.onDenied?.(ctx, info);
}

/** The Express handler serving the FHIR API under the base path. */
export function fhirEndpoint(svc: FhirService, options: { baseUrl?: string; basePath: string }) {
  return async (req: Request, res: Response): Promise<void> => {
    const ctx = res.locals.ctx as RequestContext;
    const isBinaryRead = /^\/Binary\/[^/]+(\/_history\/[^/]+)?$/.test(req.path) && (req.method === 'GET' || req.method === 'HEAD');
    const mediaType = responseType(req, isBinaryRead);
    const fhirRequest = toFhirRequest(req, requestBaseUrl(req, options.baseUrl, options.basePath));
    try {
      try {
        await authenticate(svc.hooks, req, ctx);
      } catch (err) {
        if (isDenial(err)) recordDenial(ctx, fhirRequest, err, interactionOf(svc, ctx, fhirRequest));
        throw err;
      }
      res.locals.actor = ctx.actor?.id;
      const response = await dispatch(svc, ctx, fhirRequest);
      if (response.json !== undefined) assertResponseSize(response.json.length, svc.limits);
      // Refused entries of a batch answered 200 are filed too, before the answer (the trail is durable when it leaves).
      await tellDenials(svc, ctx);
      sendFhirResponse(req, res, response, mediaType);
    } catch (err) {
      await tellDenials(svc, ctx);
      throw err;
    }
  };
}
