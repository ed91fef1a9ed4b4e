import type { CodeableConcept, PractitionerRole, Reference, Resource } from '@medplum/fhirtypes';
import type { Hooks } from '../fhir/context';
import { parseSearch } from '../fhir/search/parse';
import { ACTOR_STATE, SYSTEM_STATE } from './access-hooks';
import { isDirectoryAdmin } from './actor';
import { nationalIdentifiers } from './directory-rules';
import { nationalHolder } from './national-identifiers';

/** How many of a practitioner's roles are compared with a new one (a person holds a handful). */
const CANDIDATES = 100;

/** The person a role names: the holders of its practitioner's national identifiers (every spelling is one holder). */
function holdersOf(role: PractitionerRole): string {
  return [...new Set(nationalIdentifiers(role).map(nationalHolder))].sort().join(',');
}

/** A reference's target as `Type/id` (absolute and versioned forms alike), or its identifier, or nothing. */
function targetOf(ref: Reference | undefined): string {
  if (!ref) return '';
  const local = ref.reference ? /([A-Za-z]+\/[^/]+)(?:\/_history\/[^/]+)?$/.exec(ref.reference)?.[1] : undefined;
  if (local) return local;
  return ref.identifier?.value ? `${ref.identifier.system ?? ''}|${ref.identifier.value}` : '';
}

/** The codes of a role (`system|code`, or the text of an uncoded one), order and repeats aside. */
function codesOf(concepts: CodeableConcept[] | undefined): string {
  const codes = (concepts ?? []).flatMap((cc) => (cc.coding?.length ? cc.coding.map((c) => `${c.system ?? ''}|${c.code ?? ''}`) : [`text:${cc.text ?? ''}`]));
  return [...new Set(codes)].sort().join(',');
}

/** What makes two roles one: the same person, at the same organisation, as the same codes. */
export function roleKey(role: PractitionerRole): string | undefined {
  const holders = holdersOf(role);
  if (!holders) return undefined;
  return `${holders}\n${targetOf(role.organization)}\n${codesOf(role.code)}`;
}

/**
 * A professional's plain create of a PractitionerRole (`POST /PractitionerRole`, no If-None-Exist; a batch's entry too,
 * not a transaction's) is the conditional create it means: a role already in the directory for the same person (his national identifier,
 * in any spelling), at the same organisation, as the same codes is answered `200` naming it, unchanged (nothing written);
 * otherwise the create goes on, through the directory rules (his own roles only: `directory-rules.ts`). Before, every
 * such POST — an application declaring its user's role at each launch — added one more identical role, and the patient's
 * pages listed the professional's roles as many times. A role of someone else is compared with nothing: the directory
 * rules refuse it (403) as before. Administrators keep the plain create (they may keep two entries on purpose).
 */
export function ownRoleCreatesHook(): Hooks {
  return {
    async interceptRequest(svc, ctx, req, next) {
      if (req.method !== 'POST' || req.segments.length !== 1 || req.segments[0] !== 'PractitionerRole' || req.headers.ifNoneExist) return next(req);
      // A transaction's entry has its id drawn already and other entries may name it: answering with another role would
      // leave those references pointing at nothing. There, the client's If-None-Exist is the way (left as sent).
      if (req.assignedId !== undefined) return next(req);
      const body = req.body as Resource | undefined;
      if (!body || Buffer.isBuffer(body) || Array.isArray(body) || body.resourceType !== 'PractitionerRole') return next(req);
      const actor = ctx.state.get(ACTOR_STATE);
      if (!actor || actor.kind !== 'practitioner' || ctx.state.get(SYSTEM_STATE) === true || isDirectoryAdmin(actor)) return next(req);
      const key = roleKey(body);
      // Only his own roles are compared: the token carries every national identifier the role names.
      if (!key || !nationalIdentifiers(body).every((k) => actor.keys.includes(k))) return next(req);
      // The candidates: the roles at that organisation, or of that directory entry, or with that code (one is enough to
      // narrow; the comparison is made on the roles themselves).
      const org = targetOf(body.organization);
      const entry = targetOf(body.practitioner);
      const firstCode = body.code?.flatMap((cc) => cc.coding ?? []).find((c) => c.code);
      const params: [string, string][] = /^Organization\//.test(org)
        ? [['organization', org]]
        : /^Practitioner\//.test(entry)
          ? [['practitioner', entry]]
          : firstCode
            ? [['role', `${firstCode.system ? `${firstCode.system}|` : ''}${firstCode.code}`]]
            : [];
      if (!params.length) return next(req);
      const search = parseSearch('PractitionerRole', params, true);
      search.count = CANDIDATES;
      search.total = 'none';
      const { matches } = await svc.repo.search(ctx, search);
      const same = matches.find((m) => m.text && roleKey(JSON.parse(m.text) as PractitionerRole) === key);
      if (!same) return next(req);
      // Made the conditional create on that role's id, not answered here: the interaction is still authorised (scopes,
      // categories) before the handler finds the role and answers 200 naming it.
      return next({ ...req, headers: { ...req.headers, ifNoneExist: `_id=${same.id}` } });
    },
  };
}
