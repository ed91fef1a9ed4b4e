import type { Hooks } from '../fhir/context';
import { allOk } from '../fhir/errors';
import type { FhirResponse } from '../fhir/request';
import { isAssuranceMaladie } from './actor';
import { ACTOR_STATE } from './access-hooks';

/** Answers that are not a resource of the record (they carry no stored row back). */
const NOT_A_RECORD_ROW = new Set(['OperationOutcome', 'Bundle', 'Parameters']);

/** The resource type of an answer's JSON text, if it is one. */
function typeOf(json: string): string | undefined {
  try {
    const parsed = JSON.parse(json) as { resourceType?: unknown };
    return typeof parsed.resourceType === 'string' ? parsed.resourceType : undefined;
  } catch {
    return undefined;
  }
}

/** The answer without its representation: an informational OperationOutcome naming what was written. */
function withoutRepresentation(response: FhirResponse, type: string, why: string): FhirResponse {
  const where = response.headers?.Location ?? type;
  const text = `${response.status === 201 ? 'Created' : 'Done'}: ${where}. ${why}, so the resource is not returned (Location and ETag name it).`;
  return { ...response, json: JSON.stringify(allOk(text)) };
}

/**
 * Issue 12, "the Assurance Maladie can never read the record": a write's answer is a read of what was written (FHIR
 * answers the representation unless `Prefer: return=minimal`), and a create may also answer an existing match
 * (`If-None-Exist` → 200 with that resource). For the Assurance Maladie, no answer carries a resource of the record —
 * neither the Patient it opened at its counter nor a matched one: the body is an informational OperationOutcome
 * (`Prefer: return=OperationOutcome` semantics) and Location, ETag and Last-Modified name the version written;
 * `return=minimal` stays an empty body. Each Bundle entry is dispatched through this interceptor too, so a
 * transaction's entries answer the same way. Other feeders keep the echo of the documents they author, but never a
 * Patient: their write look-ups reach the identity rows of open records (to file a document by INS), and a
 * conditional create `POST Patient` + `If-None-Exist: identifier=<INS>` answered the matched Patient — name, birth
 * date, contacts, treating physician — to a system that reads no record (test/api/access/attack-sweep.test.ts).
 */
export function nonReaderAnswersHook(): Hooks {
  return {
    async interceptRequest(_svc, ctx, req, next) {
      const response = await next(req);
      const actor = ctx.state.get(ACTOR_STATE);
      if (!actor || actor.kind !== 'system' || !response.json) return response;
      const type = typeOf(response.json);
      if (!type || NOT_A_RECORD_ROW.has(type)) return response;
      if (isAssuranceMaladie(actor)) return withoutRepresentation(response, type, 'The Assurance Maladie never reads a record');
      if (type === 'Patient') return withoutRepresentation(response, type, 'A feeding system never reads a record’s identity');
      return response;
    },
  };
}
