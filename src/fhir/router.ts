import type { RequestContext, Interaction } from './context';
import { badRequest, methodNotAllowed, notFound } from './errors';
import type { FhirRequest, FhirResponse } from './request';
import type { FhirService, OperationDefinitionEntry } from './service';
import { isResourceType } from './search-registry';
import { denialCount, isDenial, recordDenial } from './denied-requests';
import { ROUTE_WRITES, withWriteGrants, type WriteGrant } from './write-grants';
import { assertBodyShape } from './body-shape';
import type { Resource } from '@medplum/fhirtypes';
import { readHandler, vreadHandler } from './handlers/read';
import { createHandler } from './handlers/create';
import { conditionalUpdateHandler, updateHandler } from './handlers/update';
import { conditionalDeleteHandler, deleteHandler } from './handlers/delete';
import { conditionalPatchHandler, patchHandler } from './handlers/patch';
import { searchHandler } from './handlers/search';
import { historyHandler } from './handlers/history';
import { bundleHandler } from './handlers/transaction';
import { capabilitiesHandler } from './handlers/capabilities';

/**
 * One routed interaction. `authorize: false` only for the two routes that authorise themselves or need nothing: the
 * Bundle (authorised as batch/transaction once its type is read, then entry by entry through `dispatch`) and the
 * public CapabilityStatement. `grants`: what the handler may write once authorised (none for reads).
 */
type Route = { interaction: Interaction; run: () => Promise<FhirResponse>; authorize: boolean; grants: readonly WriteGrant[]; operation?: string };

const READ = { authorize: true, grants: [] as readonly WriteGrant[] };

/** A write interaction on `type`: authorised by the pipeline, which grants the handler exactly the store writes it causes. */
function writeRoute(interaction: WriteInteraction, type: string, run: () => Promise<FhirResponse>): Route {
  return { interaction, run, authorize: true, grants: [{ resourceType: type, writes: ROUTE_WRITES[interaction] }] };
}
type WriteInteraction = keyof typeof ROUTE_WRITES;

function notAllowed(req: FhirRequest, allowed: string): never {
  throw methodNotAllowed(`${req.method} is not allowed on /${req.segments.join('/')} (allowed: ${allowed})`);
}

function findOperation(svc: FhirService, name: string, level: OperationDefinitionEntry['level'], resourceType?: string): OperationDefinitionEntry {
  const op = svc.operations.find((o) => o.name === name && o.level === level && (level === 'system' || o.resourceType === resourceType));
  if (!op) throw notFound(`Operation ${name} is not supported ${resourceType ? `on ${resourceType}` : 'at the system level'}`);
  return op;
}

function operationRoute(svc: FhirService, ctx: RequestContext, req: FhirRequest, name: string, level: OperationDefinitionEntry['level'], resourceType?: string, id?: string): Route {
  const op = findOperation(svc, name, level, resourceType);
  if (!op.methods.includes(req.method as 'GET' | 'POST')) notAllowed(req, op.methods.join(', '));
  // An operation writes only what it declared (`writes`); undeclared, it reads only (closed by default).
  return { interaction: 'operation', authorize: true, grants: op.writes ?? [], operation: name, run: () => op.handler(svc, ctx, req, { resourceType, id }) };
}

function route(svc: FhirService, ctx: RequestContext, req: FhirRequest): Route {
  const s = req.segments;
  const m = req.method === 'HEAD' ? 'GET' : req.method;
  if (s.length === 0) {
    if (m !== 'POST') notAllowed(req, 'POST (batch/transaction)');
    return { interaction: 'transaction', authorize: false, grants: [], run: () => bundleHandler(svc, ctx, req, dispatch) };
  }
  if (s[0] === 'metadata' && s.length === 1) {
    if (m !== 'GET') notAllowed(req, 'GET');
    return { interaction: 'operation', authorize: false, grants: [], run: () => capabilitiesHandler(svc, req) };
  }
  if (s[0] === '_history' && s.length === 1) {
    if (m !== 'GET') notAllowed(req, 'GET');
    return { interaction: 'history-system', ...READ, run: () => historyHandler(svc, ctx, req) };
  }
  if (s[0].startsWith('$') && s.length === 1) return operationRoute(svc, ctx, req, s[0], 'system');
  const type = s[0];
  const offered = svc.resourceTypes.get(type);
  if (!offered) throw notFound(isResourceType(type) ? `Resource type "${type}" is not offered by this server` : `Unknown resource type "${type}"`);
  const routed = typeRoute(svc, ctx, req, type);
  // Closed by default: an interaction the CapabilityStatement does not list for the type is not served, whoever asks
  // (AuditEvent history was answered though only read, vread and search are offered).
  if (routed.interaction !== 'operation' && !offered.includes(routed.interaction)) {
    notAllowed(req, `${offered.join(', ')} on ${type}`);
  }
  return routed;
}

/** The interaction a request on an offered type asks for. */
function typeRoute(svc: FhirService, ctx: RequestContext, req: FhirRequest, type: string): Route {
  const s = req.segments;
  const m = req.method === 'HEAD' ? 'GET' : req.method;
  const conditional = () => {
    if (!req.query.length) throw badRequest(`${req.method} on /${type} needs search criteria (conditional ${req.method.toLowerCase()})`);
  };
  if (s.length === 1) {
    switch (m) {
      case 'GET': return { interaction: 'search-type', ...READ, run: () => searchHandler(svc, ctx, req) };
      case 'POST': return writeRoute('create', type, () => createHandler(svc, ctx, req));
      case 'PUT': conditional(); return writeRoute('update', type, () => conditionalUpdateHandler(svc, ctx, req));
      case 'DELETE': conditional(); return writeRoute('delete', type, () => conditionalDeleteHandler(svc, ctx, req));
      case 'PATCH': conditional(); return writeRoute('patch', type, () => conditionalPatchHandler(svc, ctx, req));
      default: notAllowed(req, 'GET, POST, and PUT, PATCH, DELETE with search criteria');
    }
  }
  if (s.length === 2) {
    if (s[1] === '_search') {
      if (m !== 'POST') notAllowed(req, 'POST');
      return { interaction: 'search-type', ...READ, run: () => searchHandler(svc, ctx, { ...req, segments: [type] }) };
    }
    if (s[1] === '_history') {
      if (m !== 'GET') notAllowed(req, 'GET');
      return { interaction: 'history-type', ...READ, run: () => historyHandler(svc, ctx, req) };
    }
    if (s[1].startsWith('$')) return operationRoute(svc, ctx, req, s[1], 'type', type);
    switch (m) {
      case 'GET': return { interaction: 'read', ...READ, run: () => readHandler(svc, ctx, req) };
      case 'PUT': return writeRoute('update', type, () => updateHandler(svc, ctx, req));
      case 'DELETE': return writeRoute('delete', type, () => deleteHandler(svc, ctx, req));
      case 'PATCH': return writeRoute('patch', type, () => patchHandler(svc, ctx, req));
      default: notAllowed(req, 'GET, PUT, PATCH, DELETE');
    }
  }
  if (s.length === 3 && s[2] === '_history') {
    if (m !== 'GET') notAllowed(req, 'GET');
    return { interaction: 'history-instance', ...READ, run: () => historyHandler(svc, ctx, req) };
  }
  if (s.length === 3 && s[2].startsWith('$')) return operationRoute(svc, ctx, req, s[2], 'instance', type, s[1]);
  if (s.length === 4 && s[2] === '_history') {
    if (m !== 'GET') notAllowed(req, 'GET');
    return { interaction: 'vread', ...READ, run: () => vreadHandler(svc, ctx, req) };
  }
  throw notFound(`No FHIR interaction at /${s.join('/')}`);
}

/**
 * Dispatches a FHIR request to its interaction handler. Every interaction — read, write, operation, each Bundle
 * entry — is authorised here, before the handler runs and before any data is touched; the handler then holds the
 * write grants of its route only (`write-grants.ts`), which the store's beforeWrite hooks check, so a handler that
 * was never authorised cannot write.
 */
export async function dispatch(svc: FhirService, ctx: RequestContext, req: FhirRequest): Promise<FhirResponse> {
  const interceptors = svc.hooks.filter((h) => h.interceptRequest);
  // The pipeline, not the handlers, tells the afterRead hooks what is about to be shown: none can forget to. It does so
  // where the answer was made, inside the interceptors around it (audit writes a read inside the transaction Bundle
  // that an outer interceptor holds open), and once: a response whose reads were told carries none further out.
  // A response with nothing left to tell goes straight out: each of the 9 levels of a read (8 interceptors and the
  // route) paid an async call, and its microtasks, to return it unchanged.
  const run = async (i: number, request: FhirRequest): Promise<FhirResponse> => {
    const response = i < interceptors.length
      ? await interceptors[i].interceptRequest!(svc, ctx, request, (next) => run(i + 1, next))
      : await dispatchRoute(svc, ctx, request);
    return response.reads?.length ? tellReads(svc, ctx, response) : response;
  };
  const known = denialCount(ctx);
  try {
    assertBodyShape(svc, req, (r) => interactionOf(svc, ctx, r) !== undefined);
    return await run(0, req);
  } catch (err) {
    // A refusal is kept with the innermost request refused (`denied-requests.ts`): a Bundle entry, not its Bundle.
    if (isDenial(err) && denialCount(ctx) === known) recordDenial(ctx, req, err, interactionOf(svc, ctx, req));
    throw err;
  }
}

/** Fires the afterRead hooks for the reads a response carries, and returns it without them. */
async function tellReads(svc: FhirService, ctx: RequestContext, response: FhirResponse): Promise<FhirResponse> {
  for (const event of response.reads ?? []) for (const hook of svc.hooks) if (hook.afterRead) await hook.afterRead(ctx, event);
  return Object.assign({}, response, { reads: undefined });
}

async function dispatchRoute(svc: FhirService, ctx: RequestContext, req: FhirRequest): Promise<FhirResponse> {
  const r = route(svc, ctx, req);
  if (r.authorize) {
    const [resourceType, id] = req.segments;
    const op = {
      interaction: r.interaction,
      resourceType: resourceType?.startsWith('_') || resourceType?.startsWith('$') ? undefined : resourceType,
      id: req.segments.length >= 2 && !/^[_$]/.test(req.segments[1]) ? id : undefined,
      resource: bodyOf(req, resourceType),
      operation: r.operation,
    };
    // A hook without the method is skipped, not awaited: `await undefined` costs a microtask, per hook and request.
    for (const hook of svc.hooks) if (hook.authorize) await hook.authorize(ctx, op);
  }
  return withWriteGrants(ctx, r.grants, r.run);
}

/** The resource a write sends, when its body is one of the URL's type (the authorize hooks may look at it). */
function bodyOf(req: FhirRequest, type: string | undefined): Resource | undefined {
  const body = req.body;
  if (!body || Buffer.isBuffer(body) || Array.isArray(body) || typeof body !== 'object') return undefined;
  return (body as Resource).resourceType === type ? (body as Resource) : undefined;
}

/** The interaction a request maps to, without running it (for logs and denied-access audit). */
export function interactionOf(svc: FhirService, ctx: RequestContext, req: FhirRequest): Interaction | undefined {
  try {
    return route(svc, ctx, req).interaction;
  } catch {
    return undefined;
  }
}
