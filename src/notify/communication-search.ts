import { assertTrailOwner } from '../audit/trail-owner';
import type { Hooks } from '../fhir/context';
import { badRequest } from '../fhir/errors';
import { bundleJson, type EntryParts } from '../fhir/bundle-json';
import type { FhirRequest } from '../fhir/request';
import { loadCommunications } from './communication-view';
import type { StatementsOf } from '../store/scoped-repository';

const MAX_COUNT = 200;

function intParam(req: FhirRequest, name: string, fallback: number): number {
  const raw = req.query.find(([k]) => k === name)?.[1];
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw badRequest(`${name} must be a non-negative integer`, [name]);
  return n;
}

function pageUrl(req: FhirRequest, patientId: string, count: number, offset: number): string {
  return `${req.baseUrl}/Communication?${new URLSearchParams({ patient: patientId, _count: String(count), _offset: String(offset) }).toString()}`;
}

/**
 * Serves `GET /Communication?patient=<id>[&_count=&_offset=]` from the notification outbox: the delivery status
 * of each notice sent to the patient (or guardian), newest first, as read-only Communication resources. Only
 * the patient or a guardian of the record may ask (403 otherwise); the read is audited like any search.
 * Other Communication interactions go through the ordinary FHIR pipeline. `connection` (injected by the wiring) reads
 * the outbox, under the caller's access predicate, through statements on the request's connection (`StatementsOf`).
 */
export function communicationSearchHook(options: { connection: StatementsOf }): Hooks {
  return {
    async interceptRequest(svc, ctx, req, next) {
      const isSearch = (req.method === 'GET' || req.method === 'HEAD') && req.segments.length === 1 && req.segments[0] === 'Communication';
      if (!isSearch) return next(req);
      const requested = req.query.find(([k]) => k === 'patient' || k === 'subject' || k === 'recipient')?.[1];
      const owned = assertTrailOwner(ctx, requested, 'the notices', 'Communication');
      if (owned.length > 1) throw badRequest('This account manages several records: name one with ?patient=<id>', ['patient']);
      const patientId = owned[0];
      const count = Math.min(intParam(req, '_count', 50), MAX_COUNT);
      const offset = intParam(req, '_offset', 0);
      const page = await loadCommunications(options.connection(svc.repo), patientId, { count, offset }, ctx.access, { guardian: ctx.actor?.kind === 'guardian' });
      const link = [{ relation: 'self', url: pageUrl(req, patientId, count, offset) }];
      if (offset + count < page.total) link.push({ relation: 'next', url: pageUrl(req, patientId, count, offset + count) });
      const entries: EntryParts[] = page.resources.map((c) => ({ fullUrl: `${req.baseUrl}/Communication/${c.id}`, resourceText: JSON.stringify(c), search: { mode: 'match' } }));
      const reads = [{
        interaction: 'search-type' as const,
        resourceType: 'Communication',
        resources: page.resources.map((c) => ({ resourceType: 'Communication', id: c.id as string, compartment: patientId })),
        query: `patient=${encodeURIComponent(patientId)}`,
      }];
      return { status: 200, json: bundleJson({ type: 'searchset', total: page.total, link, timestamp: new Date().toISOString() }, entries), reads };
    },
  };
}
