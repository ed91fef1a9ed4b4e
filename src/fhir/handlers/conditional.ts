import type { Resource } from '@medplum/fhirtypes';
import type { StoredResource } from '../../store/repository';
import type { RequestContext } from '../context';
import { badRequest } from '../errors';
import { parseSearch } from '../search/parse';
import type { FhirService } from '../service';

/** Parses a query string (`identifier=a|b&status=current`) into name/value pairs. */
export function parseQueryString(query: string): [string, string][] {
  return [...new URLSearchParams(query.replace(/^\?/, '')).entries()];
}

/**
 * Resources matching the criteria of a conditional interaction (If-None-Exist, conditional update,
 * delete, patch or reference), through the caller's lookup predicate (`ctx.lookupAccess`) or else access predicate. Unknown parameters are errors here:
 * ignoring one would widen the match.
 *
 * `mayCreate` (conditional create, conditional update): takes a transaction-scoped lock on the criteria so that two
 * concurrent conditional creates cannot both create. The lock is shared by every caller, so a caller who sees nothing
 * waits while another, perhaps on a record hidden from him, creates under the same criteria: it tells activity, and is
 * the price of "never two records for one INS". Look-ups that can never create (conditional patch and delete,
 * conditional references) take no lock: a professional's `PATCH Patient?identifier=<INS>` would otherwise wait while a
 * feeder files for that INS, and learn that a filing is in progress for a record he cannot see. Their writes lock the
 * matched row itself, through the caller's access predicate (`lockTarget`).
 */
export async function findMatches(svc: FhirService, ctx: RequestContext, resourceType: string, query: [string, string][] | string, mayCreate: boolean): Promise<StoredResource[]> {
  const params = typeof query === 'string' ? parseQueryString(query) : query;
  if (!params.length) throw badRequest(`Conditional criteria for ${resourceType} are empty`);
  ctx.assertLookupCriteria?.(resourceType, params);
  const request = parseSearch(resourceType, params, true);
  // `_summary=count` answers a total and no resource: the criteria then matched nothing, whatever exists, and a
  // conditional update created a second resource, a conditional delete deleted nothing, If-None-Exist always created.
  if (request.summaryCount) throw badRequest(`Conditional criteria for ${resourceType} choose resources: _summary=count is a result parameter, not a criterion`);
  request.count = 2;
  request.total = 'none';
  if (mayCreate) await svc.repo.lockKey(`${resourceType}?${new URLSearchParams(params).toString()}`);
  const lookupCtx = ctx.lookupAccess ? { ...ctx, access: ctx.lookupAccess } : ctx;
  return (await svc.repo.search(lookupCtx, request)).matches;
}

/** Parses stored text back to a resource. */
export function parseStored(stored: StoredResource): Resource {
  return JSON.parse(stored.text as string) as Resource;
}
