import { randomUUID } from 'node:crypto';
import type { Bundle, BundleEntry, Resource } from '@medplum/fhirtypes';
import type { RequestContext } from '../context';
import { badRequest, FhirError, payloadTooLarge, unprocessable } from '../errors';
import { errorMeta } from '../core-logger';
import { assertResponseSize } from '../limits';
import type { FhirRequest, FhirResponse } from '../request';
import { assertCleanQuery, decodePathSegments, parseJsonBody } from '../request-input';
import { withRepository, type FhirService } from '../service';
import { bundleJson, type EntryParts } from '../bundle-json';
import { isResourceType } from '../search-registry';
import { conditionalReferences, referenceValues, rewriteReferences } from './bundle-references';
import { findMatches } from './conditional';
import { NEW_IN_REQUEST_STATE } from '../new-in-request';

/** Routes one entry through the same handlers as a top-level request. */
export type EntryDispatcher = (svc: FhirService, ctx: RequestContext, req: FhirRequest) => Promise<FhirResponse>;

const ORDER: Record<string, number> = { DELETE: 0, POST: 1, PUT: 2, PATCH: 2, GET: 3, HEAD: 3 };
const STATUS_TEXT: Record<number, string> = { 200: 'OK', 201: 'Created', 204: 'No Content', 304: 'Not Modified' };

function entryRequest(base: FhirRequest, entry: BundleEntry, index: number): FhirRequest {
  const r = entry.request;
  if (!r?.method || !r.url) throw badRequest(`Bundle.entry[${index}].request needs a method and a url`, [`Bundle.entry[${index}].request`]);
  const url = r.url.startsWith(base.baseUrl) ? r.url.slice(base.baseUrl.length) : r.url;
  const [path, query = ''] = url.replace(/^\//, '').split('?', 2);
  // A search entry's parameters are its url's: a resource beside it (a Parameters naming _id) was ignored, and the
  // entry answered every row the caller may see, unfiltered, as if asked (attack sweep 12; POST _search likewise, 415).
  const segments = decodePathSegments(path);
  if (entry.resource !== undefined && segments[segments.length - 1] === '_search') {
    throw badRequest(`Bundle.entry[${index}] is a search: its parameters go in request.url (${path}?name=value), not in a resource`, [`Bundle.entry[${index}].resource`]);
  }
  let body: FhirRequest['body'] = entry.resource;
  if (r.method === 'PATCH' && entry.resource?.resourceType === 'Binary' && entry.resource.data) {
    body = parseJsonBody(Buffer.from(entry.resource.data, 'base64').toString('utf8')) as unknown[]; // JSON Patch in a Binary (FHIR R4 §3.1.0.11.3)
  }
  // Bytes held apart only ever complete a Binary that carries none of its own.
  const binaryData = entry.fullUrl && entry.resource?.resourceType === 'Binary' && entry.resource.data === undefined ? base.binaryPayloads?.get(entry.fullUrl) : undefined;
  return {
    method: r.method as FhirRequest['method'],
    baseUrl: base.baseUrl,
    segments,
    query: checkedQuery([...new URLSearchParams(query).entries()]),
    headers: { ifMatch: r.ifMatch, ifNoneMatch: r.ifNoneMatch, ifNoneExist: r.ifNoneExist, ifModifiedSince: r.ifModifiedSince, accept: 'application/fhir+json', prefer: base.headers.prefer },
    body,
    binaryData,
  };
}

function responseEntry(res: FhirResponse): EntryParts {
  const status = `${res.status} ${STATUS_TEXT[res.status] ?? ''}`.trim();
  return {
    resourceText: res.json,
    response: { status, location: res.headers?.Location, etag: res.headers?.ETag, lastModified: res.headers?.['Last-Modified'] && new Date(res.headers['Last-Modified']).toISOString() },
  };
}

/** Adds an entry's size to the running total of the answer; past MAX_RESPONSE_SIZE the Bundle stops (422). */
function countBytes(svc: FhirService, total: { bytes: number }, entry: EntryParts): EntryParts {
  total.bytes += (entry.resourceText?.length ?? 0) + 200;
  assertResponseSize(total.bytes, svc.limits);
  return entry;
}

function errorEntry(svc: FhirService, ctx: RequestContext, index: number, err: unknown): EntryParts {
  // An entry's failure is its own answer, not the request's: without this line a 500 inside a batch left no trace.
  if (err instanceof FhirError) {
    const log = err.status >= 500 ? svc.logger.warn : svc.logger.info;
    log.call(svc.logger, 'batch entry failed', { requestId: ctx.requestId, entry: index, status: err.status, issue: err.outcome.issue[0]?.code });
  } else {
    svc.logger.error('batch entry failed unexpectedly', { requestId: ctx.requestId, entry: index, status: 500, ...errorMeta(err) });
  }
  const fhirError = err instanceof FhirError ? err : new FhirError(500, { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'exception', diagnostics: 'Internal error' }] });
  return { response: { status: String(fhirError.status), outcome: fhirError.outcome } };
}

/** Gives each POST entry its server id and maps every fullUrl to its `Type/id`. */
async function assignIds(svc: FhirService, ctx: RequestContext, base: FhirRequest, entries: BundleEntry[], requests: FhirRequest[]): Promise<Map<string, string>> {
  const map = new Map<string, string>();
  // Conditional creates with the same criteria create one resource: the second finds the first's at execution, so both
  // must be given its id (two ids left the second entry's references naming a resource never created).
  const byCriteria = new Map<string, string>();
  for (let i = 0; i < entries.length; i++) {
    const req = requests[i];
    const resource = entries[i].resource;
    const fullUrl = entries[i].fullUrl;
    // An operation (`POST $import-cda`) is no create: it stores what it decides, under ids it draws itself.
    if (req.method === 'POST' && resource && req.segments.length === 1 && isTypeSegment(req.segments[0])) {
      // An id reserved by the request this Bundle was made from (an ITI-105 publish sent as a transaction entry) is
      // fresh only if that request drew it: it may be the id its own If-None-Exist matched.
      const reserved = fullUrl ? base.reservedIds?.get(fullUrl) : undefined;
      let id: string = reserved || randomUUID();
      let fresh = !reserved || ctx.state.get(NEW_IN_REQUEST_STATE)?.has(`${req.segments[0]}/${reserved}`) === true;
      if (req.headers.ifNoneExist) {
        const criteria = `${req.segments[0]}?${req.headers.ifNoneExist}`;
        const earlier = byCriteria.get(criteria);
        const matches = earlier ? [] : await findMatches(svc, ctx, req.segments[0], req.headers.ifNoneExist, true);
        if (earlier) [id, fresh] = [earlier, false];
        else if (matches.length === 1) [id, fresh] = [matches[0].id, false];
        byCriteria.set(criteria, id);
      } else {
        [id, fresh] = await sameAsEntry(svc, ctx, req, byCriteria, [id, fresh]);
      }
      if (fresh) ctx.state.getOrSet(NEW_IN_REQUEST_STATE, () => new Set()).add(`${req.segments[0]}/${id}`);
      req.assignedId = id;
      if (fullUrl) map.set(fullUrl, `${req.segments[0]}/${id}`);
    } else if ((req.method === 'PUT' || req.method === 'PATCH') && req.segments.length === 2 && isTypeSegment(req.segments[0]) && isTypeSegment(req.segments[1]) && fullUrl) {
      map.set(fullUrl, `${req.segments[0]}/${req.segments[1]}`);
    }
  }
  return map;
}

/**
 * A plain create entry that a hook means as "this one, unless it exists" (`Hooks.sameAsExisting`: a professional's own
 * PractitionerRole): under the hook's locks, held to commit, the existing resource's id is the entry's — the other
 * entries' references then name it, and the create handler answers it (200) — and entries with the same key share one
 * id, as conditional creates with the same criteria do. Before, a transaction's entry was always a new resource: the
 * role an application declares at each launch was added once more each time it came in a transaction.
 */
async function sameAsEntry(svc: FhirService, ctx: RequestContext, req: FhirRequest, byCriteria: Map<string, string>, drawn: [string, boolean]): Promise<[string, boolean]> {
  let sameAs;
  for (const hook of svc.hooks) sameAs ??= hook.sameAsExisting?.(ctx, req);
  if (!sameAs) return drawn;
  req.sameAs = sameAs;
  const key = `${req.segments[0]}#same:${sameAs.key}`;
  const earlier = byCriteria.get(key);
  if (earlier) return [earlier, false];
  for (const lock of sameAs.lockKeys) await svc.repo.lockKey(lock);
  const same = await sameAs.find(svc, ctx);
  byCriteria.set(key, same?.id ?? drawn[0]);
  return same ? [same.id, false] : drawn;
}

/** A path segment naming a resource (type or id), not an operation (`$…`) or a sub-interaction (`_history`, `_search`). */
function isTypeSegment(segment: string): boolean {
  return !/^[$_]/.test(segment);
}

/**
 * A `urn:uuid:`/`urn:oid:` fullUrl names nothing by itself: the server replaces every reference to it by the `Type/id`
 * the entry is stored under (FHIR R4 §3.1.0.11.2). An entry whose id cannot be known before it runs (a conditional
 * update, an operation, a read) cannot be referred to: left as it was sent, the reference would be stored naming
 * nothing. Refused before anything is written, naming the entry referred to.
 */
function assertReferredEntriesMapped(entries: BundleEntry[], map: Map<string, string>, referenced: Set<string>): void {
  for (const [i, entry] of entries.entries()) {
    const fullUrl = entry.fullUrl;
    if (!fullUrl || !/^urn:(uuid|oid):/i.test(fullUrl) || map.has(fullUrl) || !referenced.has(fullUrl)) continue;
    const text = `Other entries refer to Bundle.entry[${i}] (${fullUrl}), a ${entry.request?.method ?? ''} ${entry.request?.url ?? ''} whose resource id is not known before it runs: refer to it by its id or by search criteria (Type?…), or send it as a create (POST)`;
    throw unprocessable([{ severity: 'error', code: 'processing', diagnostics: text, details: { text }, expression: [`Bundle.entry[${i}]`] }]);
  }
}

/**
 * The other entries' references to a create's fullUrl were replaced by the id drawn for it before any write: the entry
 * must be stored under that id. A handler that stores elsewhere (a re-sent document answered with the one already
 * filed, an ITI-105 publish run as a Bundle of its own) would leave them naming nothing: the transaction is refused.
 */
function assertStoredAsAssigned(base: FhirRequest, req: FhirRequest, fullUrl: string | undefined, response: FhirResponse, referenced: Set<string>): void {
  if (req.assignedId === undefined || !fullUrl || !referenced.has(fullUrl)) return;
  const expected = `${req.segments[0]}/${req.assignedId}`;
  const stored = storedAt(base, response.headers?.Location);
  if (stored === expected) return;
  const text = `This entry (${fullUrl}) was ${stored ? `answered with ${stored}` : 'stored under no id this server can tell'}, not ${expected}, the id the other entries' references to it were given: nothing is written. Send the references with the id of the resource (or send the entry alone)`;
  throw unprocessable([{ severity: 'error', code: 'processing', diagnostics: text, details: { text } }]);
}

/** `Type/id` of a Location header (`[base]/Type/id/_history/v`), if it names one. */
function storedAt(base: FhirRequest, location: string | undefined): string | undefined {
  if (!location) return undefined;
  const path = location.startsWith(base.baseUrl) ? location.slice(base.baseUrl.length) : location;
  const match = /^\/?([A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})(?:\/_history\/[^/]+)?$/.exec(path);
  return match ? `${match[1]}/${match[2]}` : undefined;
}

/** Resolves `Type?criteria` references inside the transaction: exactly one visible match, else 422. */
async function resolveConditionalReferences(svc: FhirService, ctx: RequestContext, resources: Resource[], map: Map<string, string>): Promise<void> {
  for (const resource of resources) {
    for (const ref of conditionalReferences(resource)) {
      if (map.has(ref)) continue;
      const [type, query] = ref.split('?', 2);
      if (!isResourceType(type) || !svc.resourceTypes.has(type)) throw unprocessable(`Conditional reference "${ref}" names a resource type this server does not offer`);
      const matches = await findMatches(svc, ctx, type, query, false);
      if (matches.length !== 1) {
        throw unprocessable(`Conditional reference "${ref}" matches ${matches.length === 0 ? 'no' : 'more than one'} ${type}: it must match exactly one`);
      }
      map.set(ref, `${type}/${matches[0].id}`);
    }
  }
}

async function runTransaction(svc: FhirService, ctx: RequestContext, req: FhirRequest, bundle: Bundle, dispatch: EntryDispatcher): Promise<FhirResponse> {
  const entries = bundle.entry ?? [];
  const requests = entries.map((e, i) => entryRequest(req, e, i));
  const result = await svc.repo.transaction(async (repo) => {
    const tx = withRepository(svc, repo);
    const map = await assignIds(tx, ctx, req, entries, requests);
    const bodies = requests.map((r) => r.body).filter((b): b is Resource => !!b && !Buffer.isBuffer(b) && !Array.isArray(b));
    const referenced = referenceValues(bodies);
    assertReferredEntriesMapped(entries, map, referenced);
    await resolveConditionalReferences(tx, ctx, bodies, map);
    for (const r of requests) {
      if (r.body && !Buffer.isBuffer(r.body) && !Array.isArray(r.body)) r.body = rewriteReferences(r.body as Resource, map);
    }
    const order = requests.map((_, i) => i).sort((a, b) => ORDER[requests[a].method] - ORDER[requests[b].method] || a - b);
    const responses: EntryParts[] = new Array(entries.length);
    const total = { bytes: 0 };
    for (const i of order) {
      try {
        const response = await dispatch(tx, ctx, requests[i]);
        assertStoredAsAssigned(req, requests[i], entries[i].fullUrl, response, referenced);
        responses[i] = countBytes(svc, total, responseEntry(response));
      } catch (err) {
        if (err instanceof FhirError) {
          const issues = err.outcome.issue.map((issue) => ({ ...issue, expression: [`Bundle.entry[${i}]`, ...(issue.expression ?? []).map((e) => `Bundle.entry[${i}].resource.${e}`)] }));
          throw new FhirError(err.status, { resourceType: 'OperationOutcome', issue: issues }, err.headers);
        }
        throw err;
      }
    }
    return responses;
  });
  return { status: 200, json: bundleJson({ type: 'transaction-response', timestamp: new Date().toISOString() }, result) };
}

async function runBatch(svc: FhirService, ctx: RequestContext, req: FhirRequest, bundle: Bundle, dispatch: EntryDispatcher): Promise<FhirResponse> {
  const responses: EntryParts[] = [];
  const total = { bytes: 0 };
  for (const [i, entry] of (bundle.entry ?? []).entries()) {
    let part: EntryParts;
    try {
      part = responseEntry(await dispatch(svc, ctx, entryRequest(req, entry, i)));
    } catch (err) {
      part = errorEntry(svc, ctx, i, err);
    }
    // Checked between entries, so the work and the memory of a batch stop near the limit, not after the last entry.
    responses.push(countBytes(svc, total, part));
  }
  return { status: 200, json: bundleJson({ type: 'batch-response', timestamp: new Date().toISOString() }, responses) };
}

/** POST [base] with a batch or transaction Bundle. A transaction lands whole or not at all. */
export async function bundleHandler(svc: FhirService, ctx: RequestContext, req: FhirRequest, dispatch: EntryDispatcher): Promise<FhirResponse> {
  const bundle = req.body as Bundle;
  if (!bundle || Buffer.isBuffer(bundle) || Array.isArray(bundle) || bundle.resourceType !== 'Bundle') throw badRequest('POST to the base URL takes a Bundle of type batch or transaction');
  if (bundle.type !== 'batch' && bundle.type !== 'transaction') throw badRequest(`Bundle.type must be batch or transaction, not "${String(bundle.type)}"`, ['Bundle.type']);
  const count = Array.isArray(bundle.entry) ? bundle.entry.length : 0;
  if (count > svc.limits.maxBundleEntries) {
    throw payloadTooLarge(`This ${bundle.type} has ${count} entries; the server takes at most ${svc.limits.maxBundleEntries} (MAX_BUNDLE_ENTRIES): split it`);
  }
  for (const hook of svc.hooks) await hook.authorize?.(ctx, { interaction: bundle.type });
  return bundle.type === 'transaction' ? runTransaction(svc, ctx, req, bundle, dispatch) : runBatch(svc, ctx, req, bundle, dispatch);
}

function checkedQuery(query: [string, string][]): [string, string][] {
  assertCleanQuery(query);
  return query;
}
