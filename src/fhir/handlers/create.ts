import type { RequestContext } from '../context';
import { preconditionFailed, unprocessable } from '../errors';
import type { FhirRequest, FhirResponse } from '../request';
import { prefersMinimal } from '../request';
import { readEvent, storedResponse, type FhirService } from '../service';
import { resourceUrl } from '../bundle-json';
import { bodyResource } from './body';
import { findMatches } from './conditional';
import { NEW_IN_REQUEST_STATE } from '../new-in-request';

/** POST [type] — create with a server-assigned id; conditional with If-None-Exist. Authorised by the pipeline (router). */
export async function createHandler(svc: FhirService, ctx: RequestContext, req: FhirRequest): Promise<FhirResponse> {
  const [type] = req.segments;
  const { resource, binaryData } = bodyResource(req, type);
  svc.validate(resource);
  return svc.repo.transaction(async (repo) => {
    if (req.headers.ifNoneExist) {
      const matches = await findMatches({ ...svc, repo }, ctx, type, req.headers.ifNoneExist, true);
      if (matches.length > 1) throw preconditionFailed(`If-None-Exist "${req.headers.ifNoneExist}" matches more than one ${type}`);
      // In a transaction the entry's id was drawn before any write, and the other entries' references already name it: a
      // match made by an earlier entry of the same transaction (criteria found nothing before the writes) would leave
      // those references pointing at a resource never created.
      if (matches.length === 1 && req.assignedId !== undefined && matches[0].id !== req.assignedId) {
        throw unprocessable(`If-None-Exist "${req.headers.ifNoneExist}" matches ${type}/${matches[0].id}, created by another entry of this transaction: references to this entry would name nothing. Send the ${type} once, or give both entries the same criteria`);
      }
      // The match is answered whole: it is shown, so it is audited as the search its criteria are (attack sweep 12b: a
      // professional read the patient's rows through If-None-Exist with no event in her trail, no first-access notice).
      if (matches.length === 1) {
        const reads = [readEvent('search-type', [matches[0]], { resourceType: type, query: req.headers.ifNoneExist })];
        return Object.assign(storedResponse(200, req.baseUrl, matches[0], { Location: `${resourceUrl(req.baseUrl, matches[0])}/_history/${matches[0].versionId}` }), { reads });
      }
      // The transaction gave this entry the id of the resource its criteria matched before any entry ran (the other
      // entries' references name it), and an earlier entry (a DELETE) took that match away. Creating under that id would
      // re-create a deleted resource under an id the client chose — in another record too, with the old versions.
      if (req.assignedId !== undefined && !ctx.state.get(NEW_IN_REQUEST_STATE)?.has(`${type}/${req.assignedId}`)) {
        throw preconditionFailed(`If-None-Exist "${req.headers.ifNoneExist}" matched ${type}/${req.assignedId} when the transaction began, and another entry of this transaction changed that: nothing is written. Send the deletion and the creation in two requests`);
      }
    } else if (req.sameAs) {
      for (const key of req.sameAs.lockKeys) await repo.lockKey(key);
      const same = await req.sameAs.find({ ...svc, repo }, ctx);
      // In a transaction the entry was given the id of the resource found when its id was drawn (transaction.ts
      // `sameAsEntry`), and the other entries' references name it: that one is answered.
      if (same && (req.assignedId === undefined || same.id === req.assignedId)) {
        return Object.assign(storedResponse(200, req.baseUrl, same, { Location: `${resourceUrl(req.baseUrl, same)}/_history/${same.versionId}` }), { reads: [readEvent('read', [same], { resourceType: type })] });
      }
      if (!same && req.assignedId !== undefined && !ctx.state.get(NEW_IN_REQUEST_STATE)?.has(`${type}/${req.assignedId}`)) {
        throw preconditionFailed(`${type}/${req.assignedId}, which this entry means, was found when the transaction began, and another entry of this transaction changed that: nothing is written. Send the two in separate requests`);
      }
    }
    const fresh = req.assignedId !== undefined && ctx.state.get(NEW_IN_REQUEST_STATE)?.has(`${type}/${req.assignedId}`) === true;
    const { stored } = await repo.create(ctx, { ...resource, id: undefined }, { binaryData, id: req.assignedId, fresh });
    const response = storedResponse(201, req.baseUrl, stored, { Location: `${resourceUrl(req.baseUrl, stored)}/_history/${stored.versionId}` });
    if (prefersMinimal(req)) delete response.json;
    return response;
  });
}
