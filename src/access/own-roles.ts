import type { CodeableConcept, PractitionerRole, Reference, Resource } from '@medplum/fhirtypes';
import type { Hooks, RequestContext } from '../fhir/context';
import type { FhirService } from '../fhir/service';
import type { FhirRequest, SameAsExisting } from '../fhir/request';
import type { StoredResource } from '../store/repository';
import { parseSearch } from '../fhir/search/parse';
import { ACTOR_STATE, SYSTEM_STATE } from './access-hooks';
import { isDirectoryAdmin } from './actor';
import { nationalIdentifiers } from './directory-rules';
import { directoryHolderLocks, nationalHolder } from './national-identifiers';

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

/** The candidates a role is compared with: the roles at its organisation, or of its directory entry, or with its first code. */
function candidateParams(role: PractitionerRole): [string, string][] {
  const org = targetOf(role.organization);
  const entry = targetOf(role.practitioner);
  const firstCode = role.code?.flatMap((cc) => cc.coding ?? []).find((c) => c.code);
  if (/^Organization\//.test(org)) return [['organization', org]];
  if (/^Practitioner\//.test(entry)) return [['practitioner', entry]];
  return firstCode ? [['role', `${firstCode.system ? `${firstCode.system}|` : ''}${firstCode.code}`]] : [];
}

/** The live role that is the same as this one (same `roleKey`), among its candidates, as the caller reads them. */
async function findSameRole(svc: FhirService, ctx: RequestContext, params: [string, string][], key: string): Promise<StoredResource | undefined> {
  const search = parseSearch('PractitionerRole', params, true);
  search.count = CANDIDATES;
  search.total = 'none';
  const { matches } = await svc.repo.search(ctx, search);
  return matches.find((m) => m.text && roleKey(JSON.parse(m.text) as PractitionerRole) === key);
}

/**
 * A professional's plain create of a PractitionerRole (`POST /PractitionerRole`, no If-None-Exist; a batch's or a
 * transaction's entry too) is the conditional create it means: a role already in the directory for the same person
 * (his national identifier, in any spelling), at the same organisation, as the same codes is answered `200` naming it,
 * unchanged (nothing written); otherwise the create goes on, through the directory rules (his own roles only:
 * `directory-rules.ts`). Before, every such POST — an application declaring its user's role at each launch — added one
 * more identical role each time, and the patient's pages listed the professional's roles as many times. A role of
 * someone else is compared with nothing: the directory rules refuse it (403) as before. Administrators keep the plain
 * create (they may keep two entries on purpose).
 *
 * The look-up is made inside the create's transaction, under a lock on the person
 * (`directory-holder:PractitionerRole:<holder>`, held to commit: `SameAsExisting`): by the create handler for a plain
 * create, and by the transaction before it draws its entries' ids for a transaction's entry (`sameAsExisting`), which is
 * then given the existing role's id, so that the other entries' references to it name that role (as a matched
 * If-None-Exist would). Made before the transaction, unlocked, identical creates sent at the same instant each found
 * nothing and each created (12 at once gave 12 roles, test/api/access/own-role-create-race.test.ts). A lock rather than
 * a unique index: what makes two roles one (the holder across spellings, the set of codes) is computed here, not a
 * column, administrators may keep two on purpose, and the directory already serialises its writes on the same kind of
 * key (directory-rules.ts `lockHolders`).
 */
export function ownRoleCreatesHook(): Hooks {
  return {
    sameAsExisting: ownRoleSameAs,

    async interceptRequest(_svc, ctx, req, next) {
      // A transaction's entry (its id drawn already) was matched when its id was drawn (`sameAsExisting`).
      if (req.assignedId !== undefined) return next(req);
      const sameAs = ownRoleSameAs(ctx, req);
      // Still a create, authorised as one (scopes, categories) before the handler looks the role up and answers 200 naming it.
      return next(sameAs ? { ...req, sameAs } : req);
    },
  };
}

/** The role a professional's plain create of one of his own PractitionerRoles means, if any (see ownRoleCreatesHook). */
function ownRoleSameAs(ctx: RequestContext, req: FhirRequest): SameAsExisting | undefined {
  if (req.method !== 'POST' || req.segments.length !== 1 || req.segments[0] !== 'PractitionerRole' || req.headers.ifNoneExist) return undefined;
  const body = req.body as Resource | undefined;
  if (!body || Buffer.isBuffer(body) || Array.isArray(body) || body.resourceType !== 'PractitionerRole') return undefined;
  const actor = ctx.state.get(ACTOR_STATE);
  if (!actor || actor.kind !== 'practitioner' || ctx.state.get(SYSTEM_STATE) === true || isDirectoryAdmin(actor)) return undefined;
  const key = roleKey(body);
  const keys = nationalIdentifiers(body);
  // Only his own roles are compared: the token carries every national identifier the role names.
  if (!key || !keys.every((k) => actor.keys.includes(k))) return undefined;
  const params = candidateParams(body);
  if (!params.length) return undefined;
  return { key, lockKeys: directoryHolderLocks('PractitionerRole', keys), find: (svc, c) => findSameRole(svc, c, params, key) };
}
