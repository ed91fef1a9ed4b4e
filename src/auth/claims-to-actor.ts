import { EXCLUDED_CATEGORIES, looksLikeIns, practitionerIdentifierKeys, type DmpActor, type DmpActorKind, type DmpRole, type OrganisationCategory } from '../access/actor';
import { unauthorized } from '../fhir/errors';
import { explainInsProblem } from '../validation/ins';
import { lookAlikeScriptsOf } from '../validation/displayed-text';

/**
 * Claims we read (our development tokens carry them all; other issuers may carry a subset):
 * `dmp_kind` patient|guardian|practitioner|system; `patient` (Patient id); `ins`; `fhirUser`
 * (`Patient/…`, `RelatedPerson/…`, `Practitioner/…`); `rpps` or `idnat_ps` (also Pro Santé Connect's
 * `preferred_username`); `role` (`samu-regulator`, or PSC `Acces_Regulation_Medicale: VRAI`; `directory-admin` for practitioner and system tokens; `identity-verifier` for practitioners); `client_id`;
 * `category`; `scope` (space separated); `purpose_of_use` and `purpose_reason` (or PSC `Mode_Acces_Raison`).
 */
export type DmpClaims = Record<string, unknown>;

const CATEGORIES: OrganisationCategory[] = [...EXCLUDED_CATEGORIES, 'assurance-maladie', 'feeder', 'care'];
const str = (v: unknown): string | undefined => (typeof v === 'string' && v.trim() ? v.trim() : undefined);

/** The resource a `fhirUser` claim names (relative, or an absolute URL ending in `Type/id`). */
export function fhirUserTarget(claims: DmpClaims): { type: string; id: string } | undefined {
  const fhirUser = str(claims.fhirUser);
  if (!fhirUser) return undefined;
  const match = /(?:^|\/)([A-Z][A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})$/.exec(fhirUser);
  if (!match) throw unauthorized('The token\'s fhirUser names no resource');
  return { type: match[1], id: match[2] };
}

/**
 * A token names one person: its `fhirUser`, when present, is the same person as its other claims (issue 11, tokens with
 * odd claims). A practitioner's `Practitioner/<id>` is checked against the directory when the actor is resolved.
 */
function assertFhirUserOfKind(target: { type: string; id: string } | undefined, kind: DmpActorKind, expectedId?: string): void {
  if (!target) return;
  const expectedType = ({ patient: 'Patient', guardian: 'RelatedPerson', practitioner: 'Practitioner' } as Record<string, string>)[kind];
  if (expectedType && target.type !== expectedType) throw unauthorized(`The token's fhirUser (${target.type}) does not name its ${kind}`);
  if (expectedId !== undefined && target.id !== expectedId) throw unauthorized(`The token's fhirUser names another ${kind} than its other claims`);
}

function inferKind(claims: DmpClaims): DmpActorKind | undefined {
  const declared = str(claims.dmp_kind);
  if (declared) return (['patient', 'guardian', 'practitioner', 'system'] as const).find((k) => k === declared);
  const fhirUser = str(claims.fhirUser) ?? '';
  if (fhirUser.startsWith('RelatedPerson/')) return 'guardian';
  if (fhirUser.startsWith('Practitioner/') || str(claims.rpps) || str(claims.idnat_ps)) return 'practitioner';
  if (fhirUser.startsWith('Patient/') || str(claims.patient) || str(claims.ins)) return 'patient';
  if (str(claims.client_id)) return 'system';
  return undefined;
}

/** The role a token grants: SAMU regulation (practitioners), directory administration (practitioners and systems). */
function roleOf(claims: DmpClaims, kind: DmpActorKind | undefined): DmpRole | undefined {
  const role = str(claims.role);
  if (role === 'samu-regulator' || str(claims.Acces_Regulation_Medicale) === 'VRAI') return 'samu-regulator';
  if (role === 'directory-admin' && (kind === 'practitioner' || kind === 'system')) return 'directory-admin';
  if (role === 'identity-verifier' && kind === 'practitioner') return 'identity-verifier';
  return undefined;
}

/** The person-name claims of OpenID Connect a token may carry (the trail shows `name` as the agent). */
const NAME_CLAIMS = ['name', 'given_name', 'family_name', 'middle_name', 'nickname', 'preferred_username'];

/**
 * A token whose person name mixes look-alike alphabets (a Cyrillic о in `Dupont`) is refused like a forged one (issue
 * 11): the trail would show the patient a professional under another's name, and no identity provider spells a name so.
 */
function assertOneAlphabetNames(claims: DmpClaims): void {
  for (const claim of NAME_CLAIMS) {
    const value = str(claims[claim]);
    const scripts = value ? lookAlikeScriptsOf(value) : [];
    if (scripts.length > 1) throw unauthorized(`The token's ${claim} mixes letters of the ${scripts.join(' and ')} alphabets, which look alike: a name is written in one alphabet`);
  }
}

/** Turns verified token claims into the actor the access module decides on. Throws 401 when no actor can be named. */
export function claimsToActor(claims: DmpClaims, defaultScopes: string[] = []): DmpActor {
  assertOneAlphabetNames(claims);
  const kind = inferKind(claims);
  const target = kind === 'system' ? undefined : fhirUserTarget(claims);
  const fhirUserId = target?.id;
  const scope = str(claims.scope);
  const scopes = scope ? scope.split(/\s+/) : defaultScopes;
  const rawCategory = str(claims.category);
  if (rawCategory && !CATEGORIES.includes(rawCategory as OrganisationCategory)) throw unauthorized(`Unknown organisation category ${rawCategory}`);
  const category = rawCategory as OrganisationCategory | undefined;
  const common = {
    category,
    scopes,
    role: roleOf(claims, kind),
    purposeOfUse: str(claims.purpose_of_use),
    purposeReason: str(claims.purpose_reason) ?? str(claims.Mode_Acces_Raison),
    claims,
  };
  switch (kind) {
    case 'patient': {
      const subject = str(claims.patient) ?? (target?.type === 'Patient' ? fhirUserId : undefined) ?? str(claims.ins) ?? str(claims.sub);
      if (!subject) throw unauthorized('The token names no patient');
      // A patient token naming one record in `patient` and another in `fhirUser` named two people: its trail entries
      // showed the other one as the agent.
      assertFhirUserOfKind(target, kind, subject);
      const ins = str(claims.ins) ?? (looksLikeIns(subject) && !str(claims.patient) ? subject : undefined);
      // A malformed INS would name nobody, or worse someone else: the token is refused like a forged one.
      const insProblem = ins === undefined ? undefined : explainInsProblem(ins);
      if (insProblem) throw unauthorized(`The token's INS is malformed: ${insProblem}`);
      const patientIds = subject === ins ? [] : [subject];
      return { ...common, kind, id: subject, ins, keys: patientIds.map((id) => `Patient/${id}`), patientIds };
    }
    case 'guardian': {
      const id = (target?.type === 'RelatedPerson' ? fhirUserId : undefined) ?? str(claims.sub);
      if (!id) throw unauthorized('The token names no RelatedPerson');
      assertFhirUserOfKind(target, kind, id);
      return { ...common, kind, id, keys: [`RelatedPerson/${id}`], patientIds: [] };
    }
    case 'practitioner': {
      const rpps = str(claims.rpps) ?? str(claims.idnat_ps) ?? str(claims.preferred_username) ?? str(claims.sub);
      if (!rpps) throw unauthorized('The token names no professional (RPPS / IdNat_PS)');
      // Keys come from the national identifiers only: a `fhirUser` naming a directory entry gave that entry's rights
      // (the treating physician's `Practitioner/gp` read every masked document of his patients). `resolveActor` adds the
      // entries that carry the token's identifiers, and refuses a `fhirUser` naming any other.
      assertFhirUserOfKind(target, kind);
      const keys = practitionerIdentifierKeys(rpps);
      return { ...common, kind, id: rpps, keys, patientIds: [] };
    }
    case 'system': {
      const id = str(claims.client_id) ?? str(claims.sub);
      if (!id) throw unauthorized('The token names no client');
      return { ...common, kind, id, category: category ?? 'feeder', keys: [`system|${id}`], patientIds: [] };
    }
    default:
      throw unauthorized('The token does not say who is calling (patient, guardian, practitioner or system)');
  }
}
