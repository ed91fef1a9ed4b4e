import type { Actor } from '../fhir/context';

/** Organisation categories the law keeps out of the DMP whatever the consents say. */
export const EXCLUDED_CATEGORIES = ['insurer', 'employer', 'bank', 'occupational-health'] as const;
export type ExcludedCategory = (typeof EXCLUDED_CATEGORIES)[number];
export type OrganisationCategory = ExcludedCategory | 'assurance-maladie' | 'feeder' | 'care';

export type DmpActorKind = 'patient' | 'guardian' | 'practitioner' | 'system';
/** Roles a practitioner token may carry: SAMU regulation; identity verification (`Patient/$update-identity`). */


/**
 * Roles a token may carry: `samu-regulator` (emergency regulation, practitioners) and `directory-admin` (may fix
 * directory entries; practitioner and system tokens only).
 */
export type DmpRole = 'samu-regulator' | 'directory-admin' | 'identity-verifier';

/** IdNat_PS (national identifier of health professionals), `8` + RPPS. */
export const IDNAT_PS_SYSTEM = 'urn:oid:1.2.250.1.71.4.2.1';
export const RPPS_SYSTEM = 'https://rpps.esante.gouv.fr';
/** Systems of the national professional identifiers: an entry carrying one of them names that person. */
export const PROFESSIONAL_ID_SYSTEMS: readonly string[] = [IDNAT_PS_SYSTEM, RPPS_SYSTEM];

/** INS identifier systems: NIR, NIA, test NIR, demo NIR. */
export const INS_SYSTEMS = ['urn:oid:1.2.250.1.213.1.4.8', 'urn:oid:1.2.250.1.213.1.4.9', 'urn:oid:1.2.250.1.213.1.4.10', 'urn:oid:1.2.250.1.213.1.4.11'];

/**
 * The caller as the access module sees it. `keys` are every way consents, `generalPractitioner` and
 * document authors may name this actor (`Practitioner/<id>`, `<system>|<value>`); `patientIds` are the
 * Patient compartments a patient or guardian acts for (resolved from the Patient id, the INS, or the
 * RelatedPerson guardian links).
 */
export interface DmpActor extends Actor {
  kind: DmpActorKind;
  id: string;
  category?: OrganisationCategory;
  role?: DmpRole;
  scopes: string[];
  purposeOfUse?: string;
  purposeReason?: string;
  /** INS carried by a patient token (instead of, or beside, a Patient id). */
  ins?: string;
  keys: string[];
  patientIds: string[];
}

/** True when the actor is the patient of that record, or a guardian acting for him (the record's owner). */
export function ownsRecord(actor: DmpActor, patientId: string): boolean {
  return (actor.kind === 'patient' || actor.kind === 'guardian') && actor.patientIds.includes(patientId);
}

/** True for the categories that may never touch a record (insurer, employer, bank, occupational health). */
export function isExcluded(actor: DmpActor): boolean {
  return (EXCLUDED_CATEGORIES as readonly string[]).includes(actor.category ?? '');
}

/** True for a directory administrator (practitioner or system token with the role `directory-admin`). */
export function isDirectoryAdmin(actor: DmpActor): boolean {
  return actor.role === 'directory-admin' && (actor.kind === 'practitioner' || actor.kind === 'system');
}

/** True for the Assurance Maladie feeder, which may write care history and never read. */
export function isAssuranceMaladie(actor: DmpActor): boolean {
  return actor.kind === 'system' && actor.category === 'assurance-maladie';
}

/**
 * The person a national professional identifier names, one definition for the token's keys and the directory's
 * duplicate check (`professionalSpellings`): an RPPS number (11 digits) is one person however it is written —
 * `IdNat_PS|8<RPPS>`, the bare `IdNat_PS|<RPPS>` (tokens carrying the RPPS are given it too), `RPPS|<RPPS>`, and
 * `RPPS|8<RPPS>` (the IdNat_PS written under the RPPS system); any other IdNat_PS (ADELI-based …) is its own person, and
 * so is any other value under the RPPS system. When the two sides disagreed, a practitioner added a second entry for a
 * colleague under a spelling the check did not know, which the colleague's token was (or was not) given.
 */
export function professionalPerson(system: string, value: string): string {
  if (/^8\d{11}$/.test(value)) return `rpps:${value.slice(1)}`;
  if (/^\d{11}$/.test(value)) return `rpps:${value}`;
  return system === RPPS_SYSTEM ? `rpps-other:${value}` : `idnat:${value}`;
}

/** Every spelling (`system|value`) of the person a national professional identifier names (see `professionalPerson`). */
export function professionalSpellings(system: string, value: string): string[] {
  const person = professionalPerson(system, value);
  const id = person.slice(person.indexOf(':') + 1);
  if (person.startsWith('rpps:')) return [`${IDNAT_PS_SYSTEM}|8${id}`, `${IDNAT_PS_SYSTEM}|${id}`, `${RPPS_SYSTEM}|${id}`, `${RPPS_SYSTEM}|8${id}`];
  return [`${person.startsWith('idnat:') ? IDNAT_PS_SYSTEM : RPPS_SYSTEM}|${id}`];
}

/** Identifier keys of a practitioner whose token names him by RPPS or by a full IdNat_PS: every spelling of him. */
export function practitionerIdentifierKeys(rppsOrIdNat: string): string[] {
  return professionalSpellings(IDNAT_PS_SYSTEM, rppsOrIdNat);
}

/** Whether a patient token's subject looks like an INS (13 digits, or 15 with the control key). */
export function looksLikeIns(value: string): boolean {
  return /^[0-9]{13}([0-9]{2})?$/.test(value) || /^[12][0-9AB]{12}[0-9]{2}$/.test(value);
}
